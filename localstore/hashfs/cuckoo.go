package hashfs

import (
	"fmt"
	"math/bits"
)

// Cuckoo baseline parameters.
const (
	// cuckooWays is the number of slots per bucket. With two candidate
	// buckets of four slots, a lookup reads at most two buckets and the
	// table fills past 0.95 before insertion starts to fail.
	cuckooWays = 4

	// cuckooMaxSearch bounds the eviction search of one insertion: the
	// number of buckets whose entries are tried for eviction.
	cuckooMaxSearch = 500
)

// cuckooSlot is one slot of a bucket. pb is the physical block plus one,
// so that the zero value is an empty slot.
type cuckooSlot struct {
	key Key
	pb  uint64
}

type cuckooBucket [cuckooWays]cuckooSlot

// cuckooStep is a node of the eviction search: bucket was reached by
// evicting the entry in slot slot of the bucket of node parent (-1 for
// the two candidate buckets of the key being inserted).
type cuckooStep struct {
	bucket int64
	parent int32
	slot   int8
}

// Cuckoo is the global cuckoo hash baseline of the HashFS paper: one
// statically sized hash table maps every (object, logical block) of the
// device to its physical block, and a separate allocator (a bitmap) hands
// out the blocks.
//
// The table is bucketized: each key has two candidate buckets of four
// slots, chosen by two hash functions, so a lookup reads at most two
// buckets. It holds nblocks/0.95 slots, rounded up to whole buckets, so
// mapping every block of the device fills it to 0.95. An insertion whose
// buckets are both full searches breadth first, over at most 500 buckets,
// for the shortest chain of evictions ending in a bucket with a free slot,
// and only then moves the entries along it; if there is none it fails with
// ErrFull and changes nothing. Such a failure is possible, though rare,
// once the table nears 0.95 (nearly every block of the device mapped).
//
// Contiguity: each entry maps a single block; entries carry no extent
// length. What is kept of extents is in the allocator: block b of an
// object first tries the physical block after the one holding block b-1
// (or the one before block b+1's), so an object written in order is laid
// out contiguously as long as the space after it is free. Otherwise the
// block comes from the bitmap's rotating cursor (next fit).
//
// Cuckoo does no I/O and no locking, and never relocates a block.
type Cuckoo struct {
	buckets []cuckooBucket
	nb      uint64 // len(buckets)
	space   *bitmap
	used    int64
	queue   []cuckooStep // scratch for the eviction search
}

// NewCuckoo returns an empty cuckoo table for a device of nblocks blocks.
func NewCuckoo(nblocks int64) (*Cuckoo, error) {
	if nblocks <= 0 {
		return nil, fmt.Errorf("hashfs: cuckoo table for %d blocks", nblocks)
	}
	slots := nblocks + (nblocks+18)/19 // ceil(nblocks / 0.95)
	nb := (slots + cuckooWays - 1) / cuckooWays
	return &Cuckoo{
		buckets: make([]cuckooBucket, nb),
		nb:      uint64(nb),
		space:   newBitmap(nblocks),
	}, nil
}

// Len returns the number of mapped blocks.
func (c *Cuckoo) Len() int64 { return c.used }

// Slots returns the number of physical blocks.
func (c *Cuckoo) Slots() int64 { return c.space.n }

// homes returns the two candidate buckets of k. They differ whenever the
// table has more than one bucket.
func (c *Cuckoo) homes(k Key) (int64, int64) {
	h := mix(k.Obj, k.Block)
	hi, _ := bits.Mul64(h, c.nb)
	b1 := hi
	if c.nb == 1 {
		return int64(b1), int64(b1)
	}
	// A second, independent hash picks an offset in [1, nb).
	hi, _ = bits.Mul64(mix(h, 0x2545f4914f6cdd1d), c.nb-1)
	b2 := b1 + 1 + hi
	if b2 >= c.nb {
		b2 -= c.nb
	}
	return int64(b1), int64(b2)
}

// alternate returns the candidate bucket of k that is not b.
func (c *Cuckoo) alternate(k Key, b int64) int64 {
	b1, b2 := c.homes(k)
	if b == b1 {
		return b2
	}
	return b1
}

// find returns the bucket and slot holding k.
func (c *Cuckoo) find(k Key) (int64, int, bool) {
	b1, b2 := c.homes(k)
	for _, b := range [2]int64{b1, b2} {
		bk := &c.buckets[b]
		for s := range bk {
			if bk[s].pb != 0 && bk[s].key == k {
				return b, s, true
			}
		}
	}
	return 0, 0, false
}

// freeSlot returns a free slot of bucket b, or -1.
func (c *Cuckoo) freeSlot(b int64) int {
	bk := &c.buckets[b]
	for s := range bk {
		if bk[s].pb == 0 {
			return s
		}
	}
	return -1
}

// Lookup returns the physical block of k.
func (c *Cuckoo) Lookup(k Key) (int64, bool) {
	b, s, ok := c.find(k)
	if !ok {
		return 0, false
	}
	return int64(c.buckets[b][s].pb - 1), true
}

// Insert maps k to a newly allocated physical block and returns it.
func (c *Cuckoo) Insert(k Key) (int64, error) {
	if k.Block > MaxBlock {
		return 0, fmt.Errorf("%w: %d", ErrBlockRange, k.Block)
	}
	if _, _, ok := c.find(k); ok {
		return 0, fmt.Errorf("%w: object %d block %d", ErrExists, k.Obj, k.Block)
	}
	if c.space.used == c.space.n {
		return 0, ErrFull
	}
	b1, b2 := c.homes(k)
	b, s := b1, c.freeSlot(b1)
	if s < 0 {
		b, s = b2, c.freeSlot(b2)
	}
	if s < 0 {
		var ok bool
		if b, s, ok = c.evict(b1, b2); !ok {
			return 0, fmt.Errorf("%w: cuckoo table at %d of %d blocks found no free slot within %d buckets",
				ErrFull, c.used, c.space.n, cuckooMaxSearch)
		}
	}
	p := c.place(k)
	c.buckets[b][s] = cuckooSlot{key: k, pb: uint64(p) + 1}
	c.used++
	return p, nil
}

// evict frees a slot in bucket b1 or b2, both full, by moving entries to
// their other bucket along the shortest chain that ends in a bucket with
// a free slot, and returns the freed slot. The search is breadth first
// over at most cuckooMaxSearch buckets; if it finds no chain, nothing
// moves.
//
// Because the chain is a shortest one, no bucket appears in it twice, so
// moving its entries from the free end backward never disturbs an entry
// still to be moved.
func (c *Cuckoo) evict(b1, b2 int64) (int64, int, bool) {
	q := append(c.queue[:0], cuckooStep{bucket: b1, parent: -1})
	if b2 != b1 {
		q = append(q, cuckooStep{bucket: b2, parent: -1})
	}
	defer func() { c.queue = q[:0] }()
	for head := 0; head < len(q) && head < cuckooMaxSearch; head++ {
		b := q[head].bucket
		for s := range cuckooWays {
			alt := c.alternate(c.buckets[b][s].key, b)
			if alt == b {
				continue
			}
			step := cuckooStep{bucket: alt, parent: int32(head), slot: int8(s)}
			free := c.freeSlot(alt)
			if free < 0 {
				q = append(q, step)
				continue
			}
			// Move entries from the free end of the chain back to its
			// start; each move frees the slot the next one fills.
			dstB, dstS := alt, free
			for step.parent >= 0 {
				from := q[step.parent]
				c.buckets[dstB][dstS] = c.buckets[from.bucket][step.slot]
				c.buckets[from.bucket][step.slot] = cuckooSlot{}
				dstB, dstS = from.bucket, int(step.slot)
				step = from
			}
			return dstB, dstS, true
		}
	}
	return 0, 0, false
}

// place allocates the physical block for k, which is being inserted:
// next to a neighbouring logical block of the same object if that
// physical block is free, else from the bitmap's cursor. The caller has
// checked that a block is free.
func (c *Cuckoo) place(k Key) int64 {
	if k.Block > 0 {
		if p, ok := c.Lookup(Key{Obj: k.Obj, Block: k.Block - 1}); ok && c.space.tryAlloc(p+1) {
			return p + 1
		}
	}
	if k.Block < MaxBlock {
		if p, ok := c.Lookup(Key{Obj: k.Obj, Block: k.Block + 1}); ok && c.space.tryAlloc(p-1) {
			return p - 1
		}
	}
	p, _ := c.space.alloc()
	return p
}

// Delete unmaps k and frees its block. It never moves a block.
func (c *Cuckoo) Delete(k Key) error {
	b, s, ok := c.find(k)
	if !ok {
		return fmt.Errorf("%w: object %d block %d", ErrNotFound, k.Obj, k.Block)
	}
	c.space.free(int64(c.buckets[b][s].pb - 1))
	c.buckets[b][s] = cuckooSlot{}
	c.used--
	return nil
}

// bucketsRead returns how many buckets a lookup of k reads: 1 if k is in
// its first bucket, else 2.
func (c *Cuckoo) bucketsRead(k Key) int {
	b1, _ := c.homes(k)
	if b, _, ok := c.find(k); ok && b == b1 {
		return 1
	}
	return 2
}
