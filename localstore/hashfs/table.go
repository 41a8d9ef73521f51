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

// Move is one relocation a deletion asks for: the block in slot From must
// be copied to slot To (slot i is physical block i), after which From is
// free. Moves are listed in the order they must be carried out.
type Move struct {
	From, To int64
	Key      Key
}

// entry is one slot, 16 bytes: the object id, and the logical block with
// bit 63 set when the slot is in use (logical blocks use 48 bits), so an
// empty slot is all zeros and four entries share a cache line.
type entry struct {
	obj uint64
	blk uint64
}

const usedBit = 1 << 63

func mkEntry(k Key) entry     { return entry{obj: k.Obj, blk: k.Block | usedBit} }
func (e entry) used() bool    { return e.blk&usedBit != 0 }
func (e entry) key() Key      { return Key{Obj: e.obj, Block: e.blk &^ usedBit} }
func (e entry) is(k Key) bool { return e.obj == k.Obj && e.blk == k.Block|usedBit }

// Table is the pure logic of the HashFS translation: a statically sized
// open-addressing table with linear probing in which slot i is physical
// block i. It does no I/O and no locking; the caller persists it and
// carries out the moves a deletion returns.
type Table struct {
	slots []entry
	n     int64
	run   int64 // blocks per run: a power of two dividing n
	shift uint  // log2(run)
	used  int64
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
	return &Table{
		slots: make([]entry, n),
		n:     n,
		run:   int64(run),
		shift: uint(bits.TrailingZeros(uint(run))),
	}, nil
}

// Len returns the number of mapped blocks.
func (t *Table) Len() int64 { return t.used }

// Slots returns the table's size: the number of physical blocks.
func (t *Table) Slots() int64 { return t.n }

// Home returns the slot where k belongs when nothing collides: the runs of
// an object are hashed, and the blocks of one run sit side by side from
// the run's start, so a large object's consecutive blocks are usually
// physically contiguous.
func (t *Table) Home(k Key) int64 {
	groups := uint64(t.n >> t.shift)
	h := mix(k.Obj, k.Block>>t.shift)
	hi, _ := bits.Mul64(h, groups) // h scaled to [0, groups) without a division
	g := int64(hi)
	return g<<t.shift | int64(k.Block)&(t.run-1)
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

// dist is how far forward slot to is from slot from, cyclically.
func (t *Table) dist(from, to int64) int64 {
	d := to - from
	if d < 0 {
		d += t.n
	}
	return d
}

func (t *Table) next(i int64) int64 {
	if i++; i == t.n {
		return 0
	}
	return i
}

// Lookup returns the slot (physical block) of k.
func (t *Table) Lookup(k Key) (int64, bool) {
	i := t.Home(k)
	for probes := int64(0); probes < t.n; probes++ {
		e := &t.slots[i]
		if e.is(k) {
			return i, true
		}
		if !e.used() {
			return 0, false
		}
		i = t.next(i)
	}
	return 0, false
}

// freeSlotFor returns the slot Insert(k) would fill, without changing
// the table.
func (t *Table) freeSlotFor(k Key) (int64, error) {
	if k.Block > MaxBlock {
		return 0, fmt.Errorf("%w: %d", ErrBlockRange, k.Block)
	}
	i := t.Home(k)
	for probes := int64(0); probes < t.n; probes++ {
		e := &t.slots[i]
		if !e.used() {
			return i, nil
		}
		if e.is(k) {
			return i, fmt.Errorf("%w: object %d block %d", ErrExists, k.Obj, k.Block)
		}
		i = t.next(i)
	}
	return 0, ErrFull
}

// Insert maps k to the first free slot from its home on, allocating that
// physical block, and returns it.
func (t *Table) Insert(k Key) (int64, error) {
	i, err := t.freeSlotFor(k)
	if err != nil {
		return i, err
	}
	t.place(i, k)
	return i, nil
}

// place puts k in slot i, which freeSlotFor(k) returned.
func (t *Table) place(i int64, k Key) {
	t.slots[i] = mkEntry(k)
	t.used++
}

// Delete unmaps k, freeing its block, and keeps every other key reachable
// without tombstones: entries after the hole that may move back toward
// their home slide into it (backward-shift deletion). Each slide is a
// block relocation, returned in order for the caller to carry out; when
// Delete returns, the table already describes the state after them.
func (t *Table) Delete(k Key) ([]Move, error) {
	hole, moves, err := t.plan(k)
	if err != nil {
		return nil, err
	}
	t.apply(hole, moves)
	return moves, nil
}

// apply carries out a planned deletion: empty hole, then the slides.
func (t *Table) apply(hole int64, moves []Move) {
	t.slots[hole] = entry{}
	for _, m := range moves {
		t.slots[m.To] = t.slots[m.From]
		t.slots[m.From] = entry{}
	}
	t.used--
}

// PlanDelete returns the moves Delete(k) would make, without changing the
// table: a caller that relocates blocks while readers run locks the moved
// keys first, copies the blocks, and only then deletes.
func (t *Table) PlanDelete(k Key) ([]Move, error) {
	_, moves, err := t.plan(k)
	return moves, err
}

// plan finds k's slot and the backward shift that deleting it makes. The
// scan only reads slots ahead of the moving hole, which the shift has not
// touched yet, so it needs no scratch copy of the table.
func (t *Table) plan(k Key) (int64, []Move, error) {
	start, ok := t.Lookup(k)
	if !ok {
		return 0, nil, fmt.Errorf("%w: object %d block %d", ErrNotFound, k.Obj, k.Block)
	}
	var moves []Move
	hole := start
	for j := t.next(hole); t.slots[j].used() && j != start; j = t.next(j) {
		home := t.Home(t.slots[j].key())
		// The entry at j may fill the hole if the hole lies between its
		// home and j: it then sits no further from home than before.
		if t.dist(home, j) >= t.dist(hole, j) {
			moves = append(moves, Move{From: j, To: hole, Key: t.slots[j].key()})
			hole = j
		}
	}
	return start, moves, nil
}

// At returns the key in slot i, and whether the slot is in use.
func (t *Table) At(i int64) (Key, bool) {
	e := t.slots[i]
	return e.key(), e.used()
}

// ProbeLength returns how many slots a lookup of k reads (1 if k sits in
// its home slot), or 0 if k is not mapped.
func (t *Table) ProbeLength(k Key) int64 {
	i, ok := t.Lookup(k)
	if !ok {
		return 0
	}
	return t.dist(t.Home(k), i) + 1
}
