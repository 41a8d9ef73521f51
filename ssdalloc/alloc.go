package ssdalloc

import "fmt"

// Allocator ties the pools and the log together: an object gets an id
// from its size class's pool and, each time it is stored, a record in the
// log; its table slot remembers where the record is. Storing an object
// again places a new record and kills the old one (the log is never
// updated in place). It is pure logic: the caller writes the records,
// reads segments for cleaning, and makes the state durable.
type Allocator struct {
	pools *Pools
	log   *Log
	locs  map[*objTable][]Location // per table: slot -> record (Len 0 and Seg noSeg: not stored)
}

// noSeg marks a slot whose object has no record yet.
const noSeg = ^uint32(0)

// NewAllocator manages a log of nseg segments.
func NewAllocator(nseg int) *Allocator {
	return &Allocator{pools: NewPools(), log: NewLog(nseg), locs: map[*objTable][]Location{}}
}

// Log returns the allocator's log (for cleaning decisions).
func (a *Allocator) Log() *Log { return a.log }

// Alloc returns a new object id for objects of up to size bytes. The
// object has no record until Store.
func (a *Allocator) Alloc(size int) (ObjectID, error) {
	id, err := a.pools.Alloc(size)
	if err != nil {
		return 0, err
	}
	t, slot, _ := a.pools.find(id)
	ls := a.locs[t]
	if ls == nil {
		ls = make([]Location, t.slots)
		for i := range ls {
			ls[i].Seg = noSeg
		}
		a.locs[t] = ls
	}
	ls[slot] = Location{Seg: noSeg}
	return id, nil
}

// Where returns the location of id's record.
func (a *Allocator) Where(id ObjectID) (Location, error) {
	t, slot, err := a.pools.find(id)
	if err != nil {
		return Location{}, err
	}
	loc := a.locs[t][slot]
	if loc.Seg == noSeg {
		return Location{}, fmt.Errorf("%w: id %d has not been stored", ErrBadID, id)
	}
	return loc, nil
}

// Store places a new record of n bytes for id and returns where to write
// it (the record carries id as its back pointer); the previous record, if
// any, dies. opened reports a newly started head segment, whose header
// must be written before the record.
func (a *Allocator) Store(id ObjectID, n int) (loc Location, opened bool, err error) {
	return a.store(id, n, false)
}

func (a *Allocator) store(id ObjectID, n int, cleaning bool) (Location, bool, error) {
	t, slot, err := a.pools.find(id)
	if err != nil {
		return Location{}, false, err
	}
	if n > classSize(t.class) {
		return Location{}, false, fmt.Errorf("%w: %d bytes in a class of %d", ErrTooLarge, n, classSize(t.class))
	}
	if id > maxRecordID {
		return Location{}, false, fmt.Errorf("%w: id %d does not fit a record's back pointer", ErrBadID, id)
	}
	place := a.log.Place
	if cleaning {
		place = a.log.PlaceForCleaning
	}
	loc, opened, err := place(n)
	if err != nil {
		return Location{}, false, err
	}
	if old := a.locs[t][slot]; old.Seg != noSeg {
		a.log.Kill(old)
	}
	a.locs[t][slot] = loc
	return loc, opened, nil
}

// Free releases id and kills its record.
func (a *Allocator) Free(id ObjectID) error {
	t, slot, err := a.pools.find(id)
	if err != nil {
		return err
	}
	if old := a.locs[t][slot]; old.Seg != noSeg {
		a.log.Kill(old)
	}
	a.locs[t][slot] = Location{Seg: noSeg}
	t.release(slot)
	return nil
}

// Live reports whether the record found at offset off of segment seg,
// carrying back pointer id, is the current record of its object.
// Cleaning calls it for every record it decodes from a victim: a record
// whose object was freed, rewritten or moved since is dead.
func (a *Allocator) Live(seg, off uint32, id ObjectID) bool {
	t, slot, err := a.pools.find(id)
	if err != nil {
		return false
	}
	loc := a.locs[t][slot]
	return loc.Seg == seg && loc.Off == off
}

// Relocate moves a live record of id out of a victim during cleaning: it
// places a new record (the space reserved for cleaning may be used) and
// kills the old one. The caller copies the bytes.
func (a *Allocator) Relocate(id ObjectID) (Location, bool, error) {
	old, err := a.Where(id)
	if err != nil {
		return Location{}, false, err
	}
	return a.store(id, int(old.Len), true)
}

// Stored returns how many objects have a record.
func (a *Allocator) Stored() int {
	n := 0
	for _, ls := range a.locs {
		for _, l := range ls {
			if l.Seg != noSeg {
				n++
			}
		}
	}
	return n
}

// Class returns the size class id was allocated in.
func (a *Allocator) Class(id ObjectID) (int, error) { return a.pools.Class(id) }
