package hashfs

import (
	"fmt"
	"math/bits"
)

// MaxBlock bounds an object's logical blocks: each object has a 48-bit
// logical block space (FlashMap's virtual SSDs are 48-bit too).
const MaxBlock = 1<<48 - 1

// Key names one logical block of one object.
type Key struct {
	Obj   uint64
	Block uint64 // < MaxBlock+1
}

// entry is one slot in memory, 16 bytes, so four share a cache line: the
// object id, and a word holding
//
//	bit 63      used: the slot maps a key (an empty slot has obj == 0 and
//	            bits 0..47 and 63 clear)
//	bits 48..62 the probe limit of this slot as a home position (see
//	            Table): derived data, rebuilt on load, never stored
//	bits 0..47  the logical block
type entry struct {
	obj uint64
	blk uint64
}

const (
	usedBit    = 1 << 63
	limitShift = 48
	// maxLimit is the largest probe limit the 15 spare bits hold; a key
	// is kept in its column only at a displacement below it.
	maxLimit  = 1<<15 - 1
	limitMask = maxLimit << limitShift
	keyMask   = usedBit | MaxBlock // the bits that are stored
)

func mkEntry(k Key) entry     { return entry{obj: k.Obj, blk: k.Block | usedBit} }
func (e entry) used() bool    { return e.blk&usedBit != 0 }
func (e entry) key() Key      { return Key{Obj: e.obj, Block: e.blk & MaxBlock} }
func (e entry) limit() int64  { return int64(e.blk>>limitShift) & maxLimit }
func (e entry) stored() entry { return entry{obj: e.obj, blk: e.blk & keyMask} }

// Table is the pure logic of the HashFS translation: a statically sized
// hash table in which every slot is a physical block, so that mapping a
// key allocates the block and unmapping it frees the block. It does no
// I/O and no locking; Durable persists it and Translation makes it
// concurrent.
//
// # Layout
//
// The n slots form G = n/R groups of R columns, R the run length: the
// slot of group g, column c is physical block g·R + c. A key (obj, b)
// belongs to run b/R of its object; the run is hashed to a home group g0
// and a rotation rot in [0, R), and block b goes to column (b + rot) mod
// R. So the R blocks of a run share a home group and fill its columns in
// order from the rotation on, wrapping once: when the group has room, a
// run is one physical group, read in at most two pieces. The rotation
// spreads the runs' blocks (and the short runs of small objects) evenly
// over the columns, so that all columns fill at the same pace and the
// table can be filled to the last block.
//
// Each column is a linear-probing table of its own over the groups: a key
// whose home slot (column c, group g0) is taken goes to the first free
// slot of groups g0+1, g0+2, ... (mod G) of the same column. In memory
// the slots are column-major (slot (c, g) at index c·G + g), so a probe
// reads consecutive memory.
//
// # Deletion without tombstones
//
// Deleting a key clears its slot and nothing else: no other block moves
// (the old layout's backward-shift deletion moved 4.7 to 128.5 blocks per
// deletion at loads 0.5 to 0.95, each a journaled data copy), and no
// tombstone is left, so the freed block is free at once (nothing leaks,
// no rehash reclaims it) and the next insertion whose probe passes it
// takes it. Lookups therefore cannot
// stop at an empty slot. Instead every home position keeps a probe limit,
// 1 + the largest displacement (distance from home) of the keys whose
// home it is, in the spare bits of its own entry: a lookup reads the home
// entry, then at most limit slots of the column, which follow it in
// memory (the rest of the home's 128-byte block first, then the range from
// its far end back: see probe). A deletion at the limit's edge shrinks the
// limit to the next farthest key of that home.
//
// A key whose column has no free slot within maxLimit-1 groups of its
// home (in practice: whose column is full) is put in any free slot, found
// through per-column free counts, and listed in an overflow map that
// lookups read after the in-column probe fails. Every free block can
// therefore be allocated: the table fills to 100 %. Free slots are found
// through a bitmap (freeMap), not by reading entries, so placing a key is
// cheap even in a nearly full table; an overflow key also costs a scan of
// the R free counts. Overflow only happens when a column is full, that is
// within a few percent of a full table for tables of up to maxLimit
// groups. A table kept completely
// full under churn has only the block just freed to give, so most new
// keys there overflow; a caller can bring overflow keys home later by
// relocating them (Delete and Insert) once there is room.
type Table struct {
	ents    []entry // column-major: ents[c*groups+g] is slot (c, g), physical block g*run+c
	n       int64
	run     int64 // blocks per run: a power of two dividing n
	shift   uint  // log2(run)
	groups  int64 // n / run
	maxDisp int64 // largest in-column displacement: min(groups, maxLimit) - 1
	used    int64
	free    []int64 // free[c]: free slots of column c
	fm      freeMap // the free slots themselves

	// overflow lists the keys not at a legal in-column position (their
	// column, at most maxDisp groups from home), by memory index.
	overflow map[Key]int64
}

// New returns an empty table of n slots whose runs are run blocks long.
// n must be a positive multiple of run, run a power of two.
func New(n int64, run int) (*Table, error) {
	if run <= 0 || run&(run-1) != 0 {
		return nil, fmt.Errorf("hashfs: run length %d is not a power of two", run)
	}
	if n <= 0 || n%int64(run) != 0 {
		return nil, fmt.Errorf("hashfs: %d slots is not a positive multiple of the run length %d", n, run)
	}
	t := &Table{
		ents:     make([]entry, n),
		n:        n,
		run:      int64(run),
		shift:    uint(bits.TrailingZeros(uint(run))),
		groups:   n / int64(run),
		free:     make([]int64, run),
		fm:       newFreeMap(n),
		overflow: map[Key]int64{},
	}
	t.maxDisp = min(t.groups, maxLimit) - 1
	for c := range t.free {
		t.free[c] = t.groups
	}
	return t, nil
}

// Len returns the number of mapped blocks.
func (t *Table) Len() int64 { return t.used }

// Slots returns the table's size: the number of physical blocks.
func (t *Table) Slots() int64 { return t.n }

// Run returns the run length R.
func (t *Table) Run() int { return int(t.run) }

// Overflow returns how many keys sit outside their column's probe range
// and are found through the overflow map.
func (t *Table) Overflow() int { return len(t.overflow) }

// locate returns the column of k and its home group: the run of k is
// hashed once; the high bits of the hash scaled to [0, groups) give the
// group, its low bits the rotation of the run within the group.
func (t *Table) locate(k Key) (c, g0 int64) {
	h := mix(k.Obj, k.Block>>t.shift)
	hi, _ := bits.Mul64(h, uint64(t.groups)) // h scaled to [0, groups) without a division
	// (b + rot) mod R with rot = h mod R: the offset b mod R is b's low bits.
	return int64((k.Block + h) & uint64(t.run-1)), int64(hi)
}

// Home returns the physical block k takes when nothing collides.
func (t *Table) Home(k Key) int64 {
	c, g0 := t.locate(k)
	return g0<<t.shift | c
}

// mix hashes an object id and run number (the splitmix64 finalizer over a
// combination of both).
func mix(obj, run uint64) uint64 {
	x := obj*0x9e3779b97f4a7c15 ^ run*0xc2b2ae3d27d4eb4f
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// phys returns the physical block of memory index m.
func (t *Table) phys(m int64) int64 {
	c, g := m/t.groups, m%t.groups
	return g<<t.shift | c
}

// index returns the memory index of physical block p.
func (t *Table) index(p int64) int64 {
	return (p&(t.run-1))*t.groups + p>>t.shift
}

// probe looks for k in column c among the lim slots from group g0 on
// (lim <= groups), and returns its group. It reads them in the order that
// touches the fewest cache lines: first the rest of the home entry's
// 128-byte block (two lines, which the processor fetches together, and
// which the lookup has just read the limit from), then the rest of the
// range from its far end back toward home. The farthest key of a home
// sits at limit-1 by definition and most homes hold one key or two, so a
// key not near its home is usually found at the first or second slot of
// the far end. (Eight 16-byte entries a block: the entries of a large
// table start on a page, as large Go allocations do. For a small table
// the order is as correct, only not aligned.)
func (t *Table) probe(k Key, c, g0, lim int64) (int64, bool) {
	m := c*t.groups + g0
	want := k.Block | usedBit
	k0 := t.near(m, g0, lim)
	for i, e := range t.ents[m : m+k0] {
		if e.obj == k.Obj && e.blk&keyMask == want {
			return g0 + int64(i), true
		}
	}
	return t.probeFar(k, c, g0, lim, k0)
}

// near returns how many slots of the range of the home at memory index m
// (group g0, limit lim) lie in the home entry's 128-byte block: two cache
// lines, which the processor fetches together.
func (t *Table) near(m, g0, lim int64) int64 {
	return min(lim, 8-m&7, t.groups-g0)
}

// probeFar is probe past the first k0 slots, which it has read: the rest
// of the range from its far end back.
func (t *Table) probeFar(k Key, c, g0, lim, k0 int64) (int64, bool) {
	col := t.ents[c*t.groups : (c+1)*t.groups]
	want := k.Block | usedBit
	lo, hi := g0+k0, g0+lim
	if hi > t.groups { // the range wraps to the column's first groups
		if i := scanBack(col[:hi-t.groups], k.Obj, want); i >= 0 {
			return int64(i), true
		}
		hi = t.groups
	}
	if i := scanBack(col[lo:hi], k.Obj, want); i >= 0 {
		return lo + int64(i), true
	}
	return 0, false
}

// scanBack returns the index of the entry of s holding (obj, blk), where
// blk has the used bit set, or -1, reading s from its end. Object ids are
// compared first: they differ for nearly every entry a probe passes.
func scanBack(s []entry, obj, blk uint64) int {
	for j := len(s) - 1; j >= 0; j-- {
		if s[j].obj == obj && s[j].blk&keyMask == blk {
			return j
		}
	}
	return -1
}

// Lookup returns the slot (physical block) of k. (It is probe, with the
// first part written out: most lookups end there.)
func (t *Table) Lookup(k Key) (int64, bool) {
	c, g0 := t.locate(k)
	m := c*t.groups + g0
	lim := t.ents[m].limit()
	k0 := t.near(m, g0, lim)
	want := k.Block | usedBit
	for i, e := range t.ents[m : m+k0] {
		if e.obj == k.Obj && e.blk&keyMask == want {
			return (g0+int64(i))<<t.shift | c, true
		}
	}
	if lim > k0 {
		// The rest of the range, from its far end back (probeFar, written
		// out when the range does not wrap).
		lo, hi := m+k0, m+lim
		if hi <= (c+1)*t.groups {
			for j := hi - 1; j >= lo; j-- {
				if e := &t.ents[j]; e.obj == k.Obj && e.blk&keyMask == want {
					return (j-c*t.groups)<<t.shift | c, true
				}
			}
		} else if g, ok := t.probeFar(k, c, g0, lim, k0); ok {
			return g<<t.shift | c, true
		}
	}
	if len(t.overflow) != 0 {
		if m, ok := t.overflow[k]; ok {
			return t.phys(m), true
		}
	}
	return 0, false
}

// insertion is where Insert puts a key: memory index m (column c, group
// g), and the key's home position, whose limit becomes lim (unchanged for
// an overflow key).
type insertion struct {
	m, c, g, home, lim int64
	over               bool
}

// planInsert returns where Insert(k) would put k, without changing the
// table.
func (t *Table) planInsert(k Key) (insertion, error) {
	if k.Block > MaxBlock {
		return insertion{}, fmt.Errorf("%w: %d", ErrBlockRange, k.Block)
	}
	c, g0 := t.locate(k)
	base := c * t.groups
	home := base + g0
	lim := t.ents[home].limit()
	if _, ok := t.probe(k, c, g0, lim); ok {
		return insertion{}, fmt.Errorf("%w: object %d block %d", ErrExists, k.Obj, k.Block)
	}
	if _, ok := t.overflow[k]; ok {
		return insertion{}, fmt.Errorf("%w: object %d block %d", ErrExists, k.Obj, k.Block)
	}
	if t.used == t.n {
		return insertion{}, ErrFull
	}
	if t.free[c] > 0 {
		// The first free slot from home on, within maxDisp.
		if m := t.fm.nextCyclic(base, base+t.groups, home, t.maxDisp+1); m >= 0 {
			g := m - base
			d := g - g0
			if d < 0 {
				d += t.groups
			}
			return insertion{m: m, c: c, g: g, home: home, lim: max(lim, d+1)}, nil
		}
	}
	// No room in the column within reach: any free slot, in the column
	// with the most free slots, from the key's home group on.
	best := int64(0)
	for cc := range t.free {
		if t.free[cc] > t.free[best] {
			best = int64(cc)
		}
	}
	bb := best * t.groups
	m := t.fm.nextCyclic(bb, bb+t.groups, bb+g0, t.groups)
	if m < 0 {
		panic("hashfs: free count of a column is wrong")
	}
	return insertion{m: m, c: best, g: m - bb, home: home, lim: lim, over: true}, nil
}

// applyInsert puts k where planInsert(k) said and returns its physical
// block.
func (t *Table) applyInsert(in insertion, k Key) int64 {
	e := &t.ents[in.m]
	*e = entry{obj: k.Obj, blk: k.Block | usedBit | e.blk&limitMask}
	h := &t.ents[in.home]
	h.blk = h.blk&^limitMask | uint64(in.lim)<<limitShift
	t.free[in.c]--
	t.fm.take(in.m)
	t.used++
	if in.over {
		t.overflow[k] = in.m
	}
	return in.g<<t.shift | in.c
}

// Insert maps k to a free slot, allocating that physical block, and
// returns it: the first free slot of k's column from its home group on,
// or, if the column has none within reach, any free slot (an overflow
// key). It fails with ErrFull only when every block is allocated.
func (t *Table) Insert(k Key) (int64, error) {
	in, err := t.planInsert(k)
	if err != nil {
		return 0, err
	}
	return t.applyInsert(in, k), nil
}

// deletion is what Delete changes: k's slot m (in column c) is cleared
// and its home's limit becomes lim.
type deletion struct {
	m, c, home, lim int64
	over            bool
}

// planDelete finds k and the limit its home keeps once k is gone, without
// changing the table.
func (t *Table) planDelete(k Key) (deletion, error) {
	c, g0 := t.locate(k)
	base := c * t.groups
	home := base + g0
	lim := t.ents[home].limit()
	g, ok := t.probe(k, c, g0, lim)
	if !ok {
		m, ok := t.overflow[k]
		if !ok {
			return deletion{}, fmt.Errorf("%w: object %d block %d", ErrNotFound, k.Obj, k.Block)
		}
		return deletion{m: m, c: m / t.groups, home: home, lim: lim, over: true}, nil
	}
	d := g - g0
	if d < 0 {
		d += t.groups
	}
	if d == lim-1 {
		// k is the farthest key of its home: the limit shrinks to the
		// next farthest one still there, or to 0.
		lim = 0
		for dd := d - 1; dd >= 0; dd-- {
			gg := g0 + dd
			if gg >= t.groups {
				gg -= t.groups
			}
			if e := t.ents[base+gg]; e.used() {
				if ec, eg := t.locate(e.key()); ec == c && eg == g0 {
					lim = dd + 1
					break
				}
			}
		}
	}
	return deletion{m: base + g, c: c, home: home, lim: lim}, nil
}

// applyDelete carries out a planned deletion.
func (t *Table) applyDelete(del deletion) {
	e := &t.ents[del.m]
	if del.over {
		delete(t.overflow, e.key())
	}
	*e = entry{blk: e.blk & limitMask}
	h := &t.ents[del.home]
	h.blk = h.blk&^limitMask | uint64(del.lim)<<limitShift
	t.free[del.c]++
	t.fm.give(del.m)
	t.used--
}

// Delete unmaps k and frees its block. No other key moves and nothing
// marks the freed slot: the block can be allocated again at once.
func (t *Table) Delete(k Key) error {
	del, err := t.planDelete(k)
	if err != nil {
		return err
	}
	t.applyDelete(del)
	return nil
}

// At returns the key in physical block i, and whether the block is
// allocated.
func (t *Table) At(i int64) (Key, bool) {
	e := t.ents[t.index(i)]
	return e.key(), e.used()
}

// Limit returns the probe limit of k's home position: how many slots of
// its column a lookup of k reads at most before it consults the overflow
// map (what a lookup of an unmapped key costs).
func (t *Table) Limit(k Key) int64 {
	c, g0 := t.locate(k)
	return t.ents[c*t.groups+g0].limit()
}

// ProbeLength returns how many slots a lookup of k compares, in the order
// probe reads them: the home's cache line, then from the far end of the
// home's range back; for an overflow key, the home's limit + 1 (the failed
// probe and the map); 0 if k is not mapped.
func (t *Table) ProbeLength(k Key) int64 {
	c, g0 := t.locate(k)
	lim := t.ents[c*t.groups+g0].limit()
	if g, ok := t.probe(k, c, g0, lim); ok {
		d := g - g0
		if d < 0 {
			d += t.groups
		}
		if k0 := t.near(c*t.groups+g0, g0, lim); d >= k0 {
			return k0 + lim - d
		}
		return d + 1
	}
	if _, ok := t.overflow[k]; ok {
		return lim + 1
	}
	return 0
}

// rebuild derives the limits, the overflow map, the free counts and the
// count of used slots from the keys in the slots (whatever limit bits they
// carry), and checks that every key is found where it is stored.
func (t *Table) rebuild() error {
	for m := range t.ents {
		t.ents[m].blk &^= limitMask
	}
	clear(t.overflow)
	t.fm = newFreeMap(t.n)
	t.used = 0
	for c := int64(0); c < t.run; c++ {
		t.free[c] = t.groups
		for g := int64(0); g < t.groups; g++ {
			e := t.ents[c*t.groups+g]
			if !e.used() {
				continue
			}
			t.free[c]--
			t.fm.take(c*t.groups + g)
			t.used++
			k := e.key()
			kc, g0 := t.locate(k)
			d := g - g0
			if d < 0 {
				d += t.groups
			}
			if kc != c || d > t.maxDisp {
				if at, dup := t.overflow[k]; dup {
					return fmt.Errorf("%w: object %d block %d in blocks %d and %d", ErrCorrupt, k.Obj, k.Block, t.phys(at), g<<t.shift|c)
				}
				t.overflow[k] = c*t.groups + g
				continue
			}
			h := &t.ents[c*t.groups+g0]
			if d+1 > h.limit() {
				h.blk = h.blk&^limitMask | uint64(d+1)<<limitShift
			}
		}
	}
	for m := range t.ents {
		e := t.ents[m]
		if !e.used() {
			continue
		}
		p := t.phys(int64(m))
		// Only a second copy of the key, found first, hides this one.
		if at, ok := t.Lookup(e.key()); !ok || at != p {
			return fmt.Errorf("%w: object %d block %d is in blocks %d and %d", ErrCorrupt, e.obj, e.blk&MaxBlock, at, p)
		}
	}
	return nil
}

// Extent is a range of logical blocks of one object held by as many
// consecutive physical blocks.
type Extent struct {
	Logical uint64 // first logical block
	Block   int64  // its physical block
	Len     int64  // blocks in the extent
}

// Extents returns where logical blocks [first, first+n) of obj are, as
// extents in logical order, each as long as the blocks stay physically
// consecutive: what the storage layer reads or writes with one I/O each.
// Unmapped blocks are left out (a gap between the Logical ranges of two
// extents). A run placed in an empty group gives at most two extents (one
// if its rotation is 0): the run's blocks fill the group from the rotation
// to its end, then wrap to its start.
func (t *Table) Extents(obj, first, n uint64) []Extent {
	return appendExtents(nil, obj, first, n, t.Lookup)
}

// appendExtents builds Extents from a lookup function.
func appendExtents(dst []Extent, obj, first, n uint64, lookup func(Key) (int64, bool)) []Extent {
	if first > MaxBlock {
		return dst
	}
	end := first + min(n, MaxBlock+1-first)
	for b := first; b < end; b++ {
		p, ok := lookup(Key{Obj: obj, Block: b})
		if !ok {
			continue
		}
		if l := len(dst) - 1; l >= 0 {
			if x := &dst[l]; x.Logical+uint64(x.Len) == b && x.Block+x.Len == p {
				x.Len++
				continue
			}
		}
		dst = append(dst, Extent{Logical: b, Block: p, Len: 1})
	}
	return dst
}
