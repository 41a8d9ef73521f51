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
type Log struct {
	segs []segState
	free []uint32 // segments holding nothing, to be opened as heads
	head int      // current head segment, or -1
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
	for i := n - 1; i >= 0; i-- {
		l.free = append(l.free, uint32(i))
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

func (l *Log) place(n, keep int) (loc Location, opened bool, err error) {
	if n < 0 || n > MaxObject {
		return Location{}, false, fmt.Errorf("%w: %d bytes", ErrTooLarge, n)
	}
	span := recordSpan(n)
	if l.head < 0 || l.segs[l.head].used+span > SegmentSize {
		if len(l.free) <= keep {
			return Location{}, false, ErrLogFull
		}
		if l.head >= 0 {
			l.segs[l.head].open = false
		}
		l.head = int(l.free[len(l.free)-1])
		l.free = l.free[:len(l.free)-1]
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
	l.free = append(l.free, seg)
}

// Settle makes the segments emptied since the last Settle reusable: call
// it once the change that emptied them is durable.
func (l *Log) Settle() {
	l.free = append(l.free, l.freed...)
	l.freed = l.freed[:0]
}

// Victims returns up to k closed segments worth cleaning, those with the
// most dead bytes first (cleaning them moves the fewest live bytes per
// byte freed). Segments with nothing dead are never chosen.
func (l *Log) Victims(k int) []uint32 {
	var out []uint32
	for i, s := range l.segs {
		if !s.open && s.used > 0 && s.used-segHeaderLen > s.live {
			out = append(out, uint32(i))
		}
	}
	slices.SortFunc(out, func(a, b uint32) int {
		da := l.segs[a].used - l.segs[a].live
		db := l.segs[b].used - l.segs[b].live
		return db - da
	})
	return out[:min(k, len(out))]
}

// Cleaned marks a victim whose live records have all been moved: it is
// free again.
func (l *Log) Cleaned(seg uint32) {
	if l.segs[seg].live != 0 {
		panic(fmt.Sprintf("ssdalloc: segment %d cleaned with %d live bytes", seg, l.segs[seg].live))
	}
	l.release(seg)
}

// FreeSegments returns how many segments hold nothing.
func (l *Log) FreeSegments() int { return len(l.free) }

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
	if int(loc.Off) < segHeaderLen || end > SegmentSize {
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
	for i := len(l.segs) - 1; i >= 0; i-- {
		if l.segs[i].live == 0 {
			l.segs[i] = segState{}
			l.free = append(l.free, uint32(i))
		}
	}
}
