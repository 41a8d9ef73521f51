package ssdalloc

import "math/bits"

// ObjectID names an allocated object. Ids are handed out in ranges, one
// range per object table, and never reused by another table.
type ObjectID uint64

// Table growth: a pool's first table has firstTableSlots slots; each new
// table doubles the previous one up to maxTableSlots, after which every new
// table adds maxTableSlots more (SSDAlloc's 128 -> ... -> 10,000, +10,000).
const (
	firstTableSlots = 128
	maxTableSlots   = 10000
)

// nextTableSlots returns the size of the table a pool creates after one of
// prev slots (0: the pool's first).
func nextTableSlots(prev int) int {
	if prev == 0 {
		return firstTableSlots
	}
	return min(2*prev, maxTableSlots)
}

// objTable is one object table: a contiguous range of object ids, an
// allocation bitmap over them and a free count. (Where each object lives
// is added by the log.)
type objTable struct {
	id     uint32   // table id, dense from 0 in creation order
	class  int      // size class
	base   ObjectID // first id of the range
	slots  int      // ids in the range
	bitmap []uint64 // bit set = allocated
	free   int      // slots not allocated
	cursor int      // where the next search for a free slot starts
	first  int64    // index of the table's first slot among all tables' slots, in creation order
}

func newObjTable(id uint32, class int, base ObjectID, slots int) *objTable {
	return &objTable{
		id:     id,
		class:  class,
		base:   base,
		slots:  slots,
		bitmap: make([]uint64, (slots+63)/64),
		free:   slots,
	}
}

func (t *objTable) allocated(slot int) bool {
	return t.bitmap[slot/64]&(1<<(slot%64)) != 0
}

// alloc takes a free slot (the table must have one), searching from the
// cursor so consecutive allocations get consecutive slots.
func (t *objTable) alloc() int {
	slot := t.findFree(t.cursor, t.slots)
	if slot < 0 {
		slot = t.findFree(0, t.cursor)
	}
	if slot < 0 {
		panic("ssdalloc: alloc from a full table")
	}
	t.bitmap[slot/64] |= 1 << (slot % 64)
	t.free--
	t.cursor = (slot + 1) % t.slots
	return slot
}

// findFree returns the first free slot in [from, to), or -1.
func (t *objTable) findFree(from, to int) int {
	for s := from; s < to; {
		word := ^t.bitmap[s/64] >> (s % 64) // set bits: free slots from s on
		if word != 0 {
			if f := s + bits.TrailingZeros64(word); f < to {
				return f
			}
			return -1
		}
		s = (s/64 + 1) * 64
	}
	return -1
}

func (t *objTable) release(slot int) {
	t.bitmap[slot/64] &^= 1 << (slot % 64)
	t.free++
}
