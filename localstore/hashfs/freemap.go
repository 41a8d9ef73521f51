package hashfs

import "math/bits"

// freeMap marks the free slots of a Table by memory index (column-major,
// so the slots of one column are consecutive bits), with a summary bit per
// word, so that finding the next free slot of a column skips 4096 full
// slots per summary word read. It is what keeps insertion cheap in a
// nearly full table: the first free slot within a column's reach, or any
// free slot for an overflow key, without reading the entries. It takes
// n/8 + n/512 bytes, 1/128 of the entries, and is touched by the writer
// only.
type freeMap struct {
	words []uint64 // bit m%64 of words[m/64]: slot m is free
	sum   []uint64 // bit w%64 of sum[w/64]: words[w] != 0
}

// newFreeMap returns the map of n slots, all free.
func newFreeMap(n int64) freeMap {
	f := freeMap{
		words: make([]uint64, (n+63)/64),
		sum:   make([]uint64, (n+4095)/4096),
	}
	for m := int64(0); m < n; m += 64 {
		f.words[m>>6] = ^uint64(0) >> uint(max(0, 64-(n-m)))
	}
	for w := range f.words {
		f.sum[w>>6] |= 1 << uint(w&63)
	}
	return f
}

// take marks slot m used.
func (f *freeMap) take(m int64) {
	w := m >> 6
	if f.words[w] &^= 1 << uint(m&63); f.words[w] == 0 {
		f.sum[w>>6] &^= 1 << uint(w&63)
	}
}

// give marks slot m free.
func (f *freeMap) give(m int64) {
	w := m >> 6
	f.words[w] |= 1 << uint(m&63)
	f.sum[w>>6] |= 1 << uint(w&63)
}

// next returns the first free slot in [from, to), or -1.
func (f *freeMap) next(from, to int64) int64 {
	if from >= to {
		return -1
	}
	w := from >> 6
	x := f.words[w] & (^uint64(0) << uint(from&63))
	for x == 0 {
		// The next word with a free slot, through the summary.
		w++
		if w<<6 >= to {
			return -1
		}
		sw := w >> 6
		s := f.sum[sw] & (^uint64(0) << uint(w&63))
		for s == 0 {
			if sw++; sw<<12 >= to {
				return -1
			}
			s = f.sum[sw]
		}
		w = sw<<6 | int64(bits.TrailingZeros64(s))
		x = f.words[w]
	}
	if m := w<<6 | int64(bits.TrailingZeros64(x)); m < to {
		return m
	}
	return -1
}

// nextCyclic returns the first free slot of the d slots from start on,
// within [lo, hi) and wrapping from hi to lo (d <= hi - lo), or -1.
func (f *freeMap) nextCyclic(lo, hi, start, d int64) int64 {
	end := start + d
	if m := f.next(start, min(end, hi)); m >= 0 || end <= hi {
		return m
	}
	return f.next(lo, lo+end-hi)
}
