package mmio

import "slices"

// Span is a byte range [Lo, Hi) within a page.
type Span struct{ Lo, Hi int }

// maxSpans is how many separate spans a page tracks before it is treated
// as written whole.
const maxSpans = 8

// spans is the set of byte ranges a transaction wrote in one page, kept
// sorted and merged.
type spans []Span

// add records [lo, hi) and returns the updated set.
func (s spans) add(lo, hi int) spans {
	i, _ := slices.BinarySearchFunc(s, lo, func(sp Span, lo int) int { return sp.Lo - lo })
	s = slices.Insert(s, i, Span{lo, hi})
	// Merge touching or overlapping neighbours.
	out := s[:0]
	for _, sp := range s {
		if n := len(out); n > 0 && sp.Lo <= out[n-1].Hi {
			out[n-1].Hi = max(out[n-1].Hi, sp.Hi)
			continue
		}
		out = append(out, sp)
	}
	if len(out) > maxSpans {
		return spans{{0, PageSize}}
	}
	return out
}

// bytes returns how many bytes the set covers.
func (s spans) bytes() int {
	n := 0
	for _, sp := range s {
		n += sp.Hi - sp.Lo
	}
	return n
}
