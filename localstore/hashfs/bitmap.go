package hashfs

import "math/bits"

// bitmap is the free-space map of the baselines that keep allocation apart
// from translation (Cuckoo and ExtentTree): bit i set means physical block
// i is allocated. Allocation is next-fit: the search for a free block
// starts where the last one ended (a rotating cursor) and scans 64 blocks
// per word. It does no I/O and no locking.
type bitmap struct {
	words  []uint64
	n      int64 // blocks; the bits of the last word past n are always set
	used   int64
	cursor int64 // where the next search starts, in [0, n)
}

func newBitmap(n int64) *bitmap {
	m := &bitmap{words: make([]uint64, (n+63)/64), n: n}
	if tail := n % 64; tail != 0 {
		// Blocks past the end look allocated, so searches skip them.
		m.words[len(m.words)-1] = ^uint64(0) << uint(tail)
	}
	return m
}

// isSet reports whether block i is allocated.
func (m *bitmap) isSet(i int64) bool {
	return m.words[i>>6]&(1<<uint(i&63)) != 0
}

// tryAlloc allocates block i if it lies on the device and is free, and
// reports whether it did. It is how callers ask for a block next to one
// they already hold.
func (m *bitmap) tryAlloc(i int64) bool {
	if i < 0 || i >= m.n || m.isSet(i) {
		return false
	}
	m.words[i>>6] |= 1 << uint(i&63)
	m.used++
	return true
}

// alloc allocates the first free block from the cursor on, wrapping
// around, and moves the cursor past it. It reports false when every block
// is allocated.
func (m *bitmap) alloc() (int64, bool) {
	if m.used == m.n {
		return 0, false
	}
	w := m.cursor >> 6
	// Treat the bits below the cursor in its word as allocated; they are
	// looked at last, after the wrap.
	free := ^m.words[w] & (^uint64(0) << uint(m.cursor&63))
	for free == 0 {
		if w++; w == int64(len(m.words)) {
			w = 0
		}
		free = ^m.words[w]
	}
	i := w<<6 | int64(bits.TrailingZeros64(free))
	m.words[w] |= 1 << uint(i&63)
	m.used++
	if m.cursor = i + 1; m.cursor == m.n {
		m.cursor = 0
	}
	return i, true
}

// free releases block i, which must be allocated.
func (m *bitmap) free(i int64) {
	if !m.isSet(i) {
		panic("hashfs: free of a free block")
	}
	m.words[i>>6] &^= 1 << uint(i&63)
	m.used--
}
