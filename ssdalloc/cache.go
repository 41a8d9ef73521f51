package ssdalloc

import (
	"container/list"
	"errors"
	"fmt"
	"slices"

	"mapstore/journal"
	"mapstore/mmio"
)

// Cache is SSDAlloc's two DRAM tiers over a DurableAllocator, sharing one
// memory budget:
//
//   - the Page Buffer, small and FIFO, holds the objects being worked on,
//     one per page: each costs a whole page of the budget, as it would in
//     SSDAlloc's object-per-page mapping;
//   - the RAM Object Cache holds most of the budget, objects packed at
//     their own size, least recently used out first.
//
// An object leaving the Page Buffer moves to the Object Cache; one leaving
// the Object Cache is dropped, or, if dirty, queued for the log. Dirty
// objects reach the log in batches (Flush), through one transaction, so
// many small writes cost one commit and bytes on the device close to the
// bytes of the objects. Not safe for concurrent use.
type Cache struct {
	d          *DurableAllocator
	budget     int // bytes
	pageBudget int // bytes of the budget the Page Buffer may use
	used       int
	pages      *list.List // FIFO of *cached in the Page Buffer, oldest first
	objs       *list.List // LRU of *cached in the Object Cache, oldest first
	index      map[ObjectID]*list.Element
	dirty      map[ObjectID]*cached // dirty objects in the tiers
	pending    map[ObjectID][]byte  // dirty objects evicted, waiting for Flush
	pendBytes  int
	stats      CacheStats
}

type cached struct {
	id     ObjectID
	data   []byte
	dirty  bool
	inPage bool
}

// CacheStats counts where reads were served from.
type CacheStats struct {
	PageHits, ObjectHits, DeviceReads int64
	Flushed                           int64 // objects written to the log
}

// NewCache puts a cache of budget bytes in front of d; pageShare of it
// (between 0 and 1) is for the Page Buffer.
func NewCache(d *DurableAllocator, budget int, pageShare float64) (*Cache, error) {
	if budget < mmio.PageSize || pageShare <= 0 || pageShare >= 1 {
		return nil, fmt.Errorf("ssdalloc: cache budget %d with page share %v", budget, pageShare)
	}
	return &Cache{
		d:          d,
		budget:     budget,
		pageBudget: max(mmio.PageSize, int(float64(budget)*pageShare)),
		pages:      list.New(),
		objs:       list.New(),
		index:      map[ObjectID]*list.Element{},
		dirty:      map[ObjectID]*cached{},
		pending:    map[ObjectID][]byte{},
	}, nil
}

func cost(c *cached) int {
	if c.inPage {
		return mmio.PageSize
	}
	return len(c.data)
}

// Get returns id's object (the caller must not change the slice).
func (c *Cache) Get(id ObjectID) ([]byte, error) {
	if e, ok := c.index[id]; ok {
		ob := e.Value.(*cached)
		if ob.inPage {
			c.stats.PageHits++
			return ob.data, nil
		}
		c.stats.ObjectHits++
		c.remove(e)
		c.toPage(ob)
		return ob.data, nil
	}
	if data, ok := c.pending[id]; ok {
		c.stats.ObjectHits++
		return data, nil // stays queued: it is still dirty
	}
	data, err := c.d.Read(id)
	if err != nil {
		return nil, err
	}
	c.stats.DeviceReads++
	ob := &cached{id: id, data: data}
	c.toPage(ob)
	return data, nil
}

// Put makes data id's object; it reaches the device at a later Flush.
func (c *Cache) Put(id ObjectID, data []byte) {
	if e, ok := c.index[id]; ok {
		c.remove(e)
	}
	c.unqueue(id)
	ob := &cached{id: id, data: data, dirty: true}
	c.dirty[id] = ob
	c.toPage(ob)
}

func (c *Cache) unqueue(id ObjectID) {
	if data, ok := c.pending[id]; ok {
		c.pendBytes -= len(data)
		delete(c.pending, id)
	}
}

// Forget drops id from the cache (after it was freed).
func (c *Cache) Forget(id ObjectID) {
	if e, ok := c.index[id]; ok {
		c.remove(e)
	}
	delete(c.dirty, id)
	c.unqueue(id)
}

func (c *Cache) remove(e *list.Element) {
	ob := e.Value.(*cached)
	if ob.inPage {
		c.pages.Remove(e)
	} else {
		c.objs.Remove(e)
	}
	c.used -= cost(ob)
	delete(c.index, ob.id)
}

// toPage puts ob in the Page Buffer, making room as needed.
func (c *Cache) toPage(ob *cached) {
	ob.inPage = true
	for c.pages.Len() > 0 && c.pageBytes()+mmio.PageSize > c.pageBudget {
		old := c.pages.Front()
		c.pages.Remove(old)
		o := old.Value.(*cached)
		c.used -= mmio.PageSize
		o.inPage = false
		c.index[o.id] = c.objs.PushBack(o)
		c.used += len(o.data)
	}
	c.index[ob.id] = c.pages.PushBack(ob)
	c.used += mmio.PageSize
	for c.used > c.budget && c.objs.Len() > 0 {
		old := c.objs.Front()
		o := old.Value.(*cached)
		c.remove(old)
		if o.dirty {
			delete(c.dirty, o.id)
			c.pending[o.id] = o.data
			c.pendBytes += len(o.data)
		}
	}
}

func (c *Cache) pageBytes() int { return c.pages.Len() * mmio.PageSize }

// Flush writes every dirty object, cached or evicted, to the log in tx
// and returns the transaction to continue with. It first lets the
// allocator clean ahead of the batch (MakeRoom), so the log keeps free
// segments for the next batches; if the log fills anyway (segments the
// batch emptied are reusable only once it is durable), it cleans and
// commits through j, so tx may have been committed and replaced; the
// caller commits the one returned.
func (c *Cache) Flush(j *journal.Journal, tx *mmio.Tx) (*mmio.Tx, error) {
	ids := make([]ObjectID, 0, len(c.pending)+len(c.dirty))
	bytes := 0
	for id, data := range c.pending {
		ids = append(ids, id)
		bytes += recordSpan(len(data))
	}
	for id, ob := range c.dirty {
		ids = append(ids, id)
		bytes += recordSpan(len(ob.data))
	}
	slices.Sort(ids) // a deterministic log layout
	if _, err := c.d.MakeRoom(tx, bytes); err != nil {
		return tx, err
	}
	write := func(id ObjectID, data []byte) error {
		for try := 0; ; try++ {
			_, err := c.d.Store(tx, id, data)
			if err == nil || !errors.Is(err, ErrLogFull) || try == 3 {
				return err
			}
			if _, err := c.d.Clean(tx); err != nil {
				return err
			}
			if err := c.d.Commit(j, tx); err != nil {
				return err
			}
			tx = j.Begin()
		}
	}
	for _, id := range ids {
		if data, ok := c.pending[id]; ok {
			if err := write(id, data); err != nil {
				return tx, err
			}
			c.unqueue(id)
		} else {
			ob := c.dirty[id]
			if err := write(id, ob.data); err != nil {
				return tx, err
			}
			ob.dirty = false
			delete(c.dirty, id)
		}
		c.stats.Flushed++
	}
	return tx, nil
}

// Used returns the bytes of the budget the two tiers use.
func (c *Cache) Used() int { return c.used }

// Pending returns the bytes of dirty objects evicted from the tiers and
// waiting for Flush. They are memory too: flush when it grows (a batch is
// what makes log writes cheap, but it must stay bounded).
func (c *Cache) Pending() int { return c.pendBytes }

// Stats returns where reads were served from.
func (c *Cache) Stats() CacheStats { return c.stats }
