package ssdalloc

import (
	"fmt"
	"slices"
)

// Location is where a stored object's record sits in the log.
type Location struct {
	Seg uint32 // segment number
	Off uint32 // offset of the record in the segment
	Len uint32 // object bytes (the record spans recordSpan(Len))
}

// segState is the log's bookkeeping of one segment.
type segState struct {
	used int // bytes appended, header included
	live int // bytes of records still referenced by a table
	open bool
}

// Log is the pure placement logic of the object log: it decides where each
// record goes (appending at the head segment, opening a free one when the
// head is full), keeps per-segment live-byte counts as records die, and
// picks the segments worth cleaning. It does no I/O.
//
// Free segments are opened lowest number first. A device that gives a
// segment its blocks when it is first opened (see Space) then grows only
// when every segment it has given blocks to is in use: the segments ever
// opened are always 0..k-1.
type Log struct {
	segs []segState
	free segHeap // segments holding nothing, to be opened as heads
	head int     // current head segment, or -1
	// holdFreed keeps segments that empty out of the free list until
	// Settle: when records are written straight to the device, a segment
	// whose last record died in a change not yet committed must not be
	// written over, since a crash would bring that record back.
	holdFreed bool
	freed     []uint32
}

// NewLog manages n segments, all free.
func NewLog(n int) *Log {
	l := &Log{segs: make([]segState, n), head: -1}
	for i := 0; i < n; i++ {
		l.free = append(l.free, uint32(i)) // ascending: already a heap
	}
	return l
}

// reserveSegments are kept free for cleaning: moving live records out of
// a victim needs somewhere to put them even when the log is otherwise
// full.
const reserveSegments = 1

// Place reserves room for a record of n object bytes and returns its
// location; opened reports that a new head segment was started (its
// header must be written first). It fails with ErrLogFull rather than
// take the segments reserved for cleaning.
func (l *Log) Place(n int) (loc Location, opened bool, err error) {
	return l.place(n, reserveSegments)
}

// PlaceForCleaning is Place for a record that cleaning moves out of a
// victim: it may use the reserved segments.
func (l *Log) PlaceForCleaning(n int) (loc Location, opened bool, err error) {
	return l.place(n, 0)
}

// opens reports whether placing a record of n object bytes would start a
// new head segment, and which: the one the next Place (or, with cleaning,
// PlaceForCleaning) of n bytes opens.
func (l *Log) opens(n int, cleaning bool) (seg uint32, ok bool) {
	keep := reserveSegments
	if cleaning {
		keep = 0
	}
	if n < 0 || n > MaxObject || len(l.free) <= keep {
		return 0, false
	}
	if l.head >= 0 && l.segs[l.head].used+recordSpan(n) <= SegmentSize {
		return 0, false
	}
	return l.free[0], true
}

func (l *Log) place(n, keep int) (loc Location, opened bool, err error) {
	if n < 0 || n > MaxObject {
		return Location{}, false, fmt.Errorf("%w: %d bytes", ErrTooLarge, n)
	}
	span := recordSpan(n)
	if l.head < 0 || l.segs[l.head].used+span > SegmentSize {
		if len(l.free) <= keep {
			return Location{}, false, ErrLogFull
		}
		next := l.free.pop()
		if l.head >= 0 {
			old := &l.segs[l.head]
			old.open = false
			if old.live == 0 { // everything in it died while it was the head
				l.release(uint32(l.head))
			}
		}
		l.head = int(next)
		l.segs[l.head] = segState{used: segHeaderLen, open: true}
		opened = true
	}
	s := &l.segs[l.head]
	loc = Location{Seg: uint32(l.head), Off: uint32(s.used), Len: uint32(n)}
	s.used += span
	s.live += span
	return loc, opened, nil
}

// Kill records that the record at loc is no longer referenced (its object
// was freed or rewritten elsewhere). A closed segment left with no live
// record becomes free.
func (l *Log) Kill(loc Location) {
	s := &l.segs[loc.Seg]
	s.live -= recordSpan(int(loc.Len))
	if s.live < 0 {
		panic(fmt.Sprintf("ssdalloc: segment %d has negative live bytes", loc.Seg))
	}
	if s.live == 0 && !s.open {
		l.release(loc.Seg)
	}
}

func (l *Log) release(seg uint32) {
	l.segs[seg] = segState{}
	if l.holdFreed {
		l.freed = append(l.freed, seg)
		return
	}
	l.free.push(seg)
}

// Settle makes the segments emptied since the last Settle reusable: call
// it once the change that emptied them is durable.
func (l *Log) Settle() {
	for _, s := range l.freed {
		l.free.push(s)
	}
	l.freed = l.freed[:0]
}

// Victims returns up to k closed segments worth cleaning, greedily: those
// with the fewest live bytes first, so cleaning moves the fewest live
// bytes per byte it frees. (Under uniformly random updates greedy is
// close to the best choice; cost-benefit, which also weighs a segment's
// age, pays off when some objects are much hotter than others.) Segments
// with nothing dead are never chosen.
func (l *Log) Victims(k int) []uint32 {
	worth := func(s segState) bool { return !s.open && s.used > 0 && s.used-segHeaderLen > s.live }
	if k == 1 { // what cleaning asks for: one pass, no sorting
		best := -1
		for i, s := range l.segs {
			if worth(s) && (best < 0 || s.live < l.segs[best].live) {
				best = i
			}
		}
		if best < 0 {
			return nil
		}
		return []uint32{uint32(best)}
	}
	var out []uint32
	for i, s := range l.segs {
		if worth(s) {
			out = append(out, uint32(i))
		}
	}
	slices.SortFunc(out, func(a, b uint32) int {
		if d := l.segs[a].live - l.segs[b].live; d != 0 {
			return d
		}
		return int(a) - int(b)
	})
	return out[:min(k, len(out))]
}

// Cleaned marks a victim whose live records have all been moved: it is
// free again. (Killing a closed segment's last live record already does
// this; Cleaned is for a caller that tracks victims itself.)
func (l *Log) Cleaned(seg uint32) {
	if l.segs[seg].live != 0 {
		panic(fmt.Sprintf("ssdalloc: segment %d cleaned with %d live bytes", seg, l.segs[seg].live))
	}
	l.release(seg)
}

// FreeSegments returns how many segments hold nothing and may be opened.
func (l *Log) FreeSegments() int { return len(l.free) }

// Held returns how many segments emptied since the last Settle wait for
// it before they may be opened.
func (l *Log) Held() int { return len(l.freed) }

// Live returns the live bytes of a segment.
func (l *Log) Live(seg uint32) int { return l.segs[seg].live }

// Used returns the bytes appended to a segment, header included: a
// segment's records are decoded from b[:Used], since a reused segment may
// hold stale records of its previous life beyond that.
func (l *Log) Used(seg uint32) int { return l.segs[seg].used }

// restore records, on load, a live record found in the tables. Segments
// holding live records are closed; Recount must follow.
func (l *Log) restore(loc Location) error {
	if int(loc.Seg) >= len(l.segs) {
		return fmt.Errorf("%w: record in segment %d of %d", ErrCorrupt, loc.Seg, len(l.segs))
	}
	end := int(loc.Off) + recordSpan(int(loc.Len))
	if int(loc.Off) < segHeaderLen || end > SegmentSize || loc.Off%recAlign != 0 {
		return fmt.Errorf("%w: record at %d of %d bytes outside segment %d", ErrCorrupt, loc.Off, loc.Len, loc.Seg)
	}
	s := &l.segs[loc.Seg]
	s.used = max(s.used, end)
	s.live += recordSpan(int(loc.Len))
	return nil
}

// recount rebuilds the free list after restore: segments without live
// records are free, the rest closed, and there is no head.
func (l *Log) recount() {
	l.free = l.free[:0]
	l.head = -1
	for i := range l.segs {
		if l.segs[i].live == 0 {
			l.segs[i] = segState{}
			l.free = append(l.free, uint32(i)) // ascending: a heap
		}
	}
}

// segHeap is a min-heap of segment numbers.
type segHeap []uint32

func (h *segHeap) push(s uint32) {
	*h = append(*h, s)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if a[p] <= a[i] {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

func (h *segHeap) pop() uint32 {
	a := *h
	top := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a = a[:last]
	for i := 0; ; {
		c := 2*i + 1
		if c >= len(a) {
			break
		}
		if c+1 < len(a) && a[c+1] < a[c] {
			c++
		}
		if a[i] <= a[c] {
			break
		}
		a[i], a[c] = a[c], a[i]
		i = c
	}
	*h = a
	return top
}
