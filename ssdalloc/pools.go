package ssdalloc

import (
	"fmt"
	"sort"
)

// pool serves one size class from its object tables. Exactly one table is
// active: allocations come from it while it has free slots.
type pool struct {
	class  int
	tables []*objTable
	active *objTable
}

// Pools is the pure bookkeeping of SSDAlloc's allocator: size-class pools,
// their object tables, and the ordered map (SSDAlloc's address
// translation module) from an object id to the table that owns it. It
// does no I/O and no locking.
type Pools struct {
	pools  [NumClasses]pool
	byBase []*objTable // every table, in id order (bases only grow)
	nextID ObjectID
	slots  int64 // slots of all tables
}

// NewPools returns an empty allocator. Ids start at 1, so 0 is never an
// object.
func NewPools() *Pools {
	p := &Pools{nextID: 1}
	for c := range p.pools {
		p.pools[c].class = c
	}
	return p
}

// Alloc allocates an id for an object of size bytes.
func (p *Pools) Alloc(size int) (ObjectID, error) {
	c, err := classOf(size)
	if err != nil {
		return 0, err
	}
	pl := &p.pools[c]
	if pl.active == nil || pl.active.free == 0 {
		pl.active = p.activate(pl)
	}
	t := pl.active
	return t.base + ObjectID(t.alloc()), nil
}

// activate picks the pool's table with the most free slots or, when none
// has any, creates the next one.
func (p *Pools) activate(pl *pool) *objTable {
	best, next := pl.choose()
	if best != nil {
		return best
	}
	return p.addTable(pl, next)
}

// choose returns the pool's table with the most free slots, or nil and
// the slot count of the table that must be made.
func (pl *pool) choose() (*objTable, int) {
	var best *objTable
	for _, t := range pl.tables {
		if t.free > 0 && (best == nil || t.free > best.free) {
			best = t
		}
	}
	if best != nil {
		return best, 0
	}
	prev := 0
	if n := len(pl.tables); n > 0 {
		prev = pl.tables[n-1].slots
	}
	return nil, nextTableSlots(prev)
}

// addTable creates the next table of pl with slots slots.
func (p *Pools) addTable(pl *pool, slots int) *objTable {
	t := newObjTable(uint32(len(p.byBase)), pl.class, p.nextID, slots)
	t.first = p.slots
	p.slots += int64(slots)
	p.nextID += ObjectID(slots)
	pl.tables = append(pl.tables, t)
	p.byBase = append(p.byBase, t)
	return t
}

// find returns the table owning id and the id's slot in it.
func (p *Pools) find(id ObjectID) (*objTable, int, error) {
	i := sort.Search(len(p.byBase), func(i int) bool { return p.byBase[i].base > id }) - 1
	if i < 0 {
		return nil, 0, fmt.Errorf("%w: id %d", ErrBadID, id)
	}
	t := p.byBase[i]
	slot := int(id - t.base)
	if slot >= t.slots || !t.allocated(slot) {
		return nil, 0, fmt.Errorf("%w: id %d", ErrBadID, id)
	}
	return t, slot, nil
}

// Free releases id.
func (p *Pools) Free(id ObjectID) error {
	t, slot, err := p.find(id)
	if err != nil {
		return err
	}
	t.release(slot)
	return nil
}

// Class returns the size class id was allocated in, or an error if it is
// not allocated.
func (p *Pools) Class(id ObjectID) (int, error) {
	t, _, err := p.find(id)
	if err != nil {
		return 0, err
	}
	return t.class, nil
}

// TableSizes returns the slot counts of a class's tables, in creation
// order.
func (p *Pools) TableSizes(class int) []int {
	var out []int
	for _, t := range p.pools[class].tables {
		out = append(out, t.slots)
	}
	return out
}

// wouldCreate returns the slot count of the table Alloc(size) would have
// to create, or 0 if an existing table has room.
func (p *Pools) wouldCreate(size int) (int, error) {
	c, err := classOf(size)
	if err != nil {
		return 0, err
	}
	pl := &p.pools[c]
	if pl.active != nil && pl.active.free > 0 {
		return 0, nil
	}
	_, next := pl.choose()
	return next, nil
}

// restoreTable recreates, on load, the next table in creation order. It
// must carry the base the allocator would give it.
func (p *Pools) restoreTable(class, slots int, base ObjectID) (*objTable, error) {
	if class < 0 || class >= NumClasses || slots <= 0 || slots > maxTableSlots || base != p.nextID {
		return nil, fmt.Errorf("%w: table %d (class %d, %d slots, base %d; next base %d)",
			ErrCorrupt, len(p.byBase), class, slots, base, p.nextID)
	}
	return p.addTable(&p.pools[class], slots), nil
}
