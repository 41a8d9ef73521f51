package ssdalloc_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"mapstore/internal/vfs"
	"mapstore/ssdalloc"
)

// TestCacheModel: random puts, gets and frees through a small cache with
// periodic flushes and commits; every get returns the latest put, the
// tiers stay within the budget, and after a crash the device holds every
// object as of the last committed flush.
func TestCacheModel(t *testing.T) {
	mem, g := memAlloc(t)
	defer g.close()
	const budget = 64 << 10
	c, err := ssdalloc.NewCache(g.d, budget, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(31, 32))
	model := map[ssdalloc.ObjectID][]byte{}
	durable := map[ssdalloc.ObjectID][]byte{}
	var ids []ssdalloc.ObjectID
	tx := g.j.Begin()
	sawPending := false
	data := func(n int) []byte {
		d := make([]byte, n)
		for i := range d {
			d[i] = byte(rng.Uint32())
		}
		return d
	}
	flush := func() {
		var err error
		if tx, err = c.Flush(g.j, tx); err != nil {
			t.Fatal(err)
		}
		if err := g.d.Commit(g.j, tx); err != nil {
			t.Fatal(err)
		}
		tx = g.j.Begin()
		durable = cloneModel(model)
	}
	for step := 0; step < 20000; step++ {
		switch op := rng.IntN(100); {
		case op < 20 && len(ids) < 300 || len(ids) == 0:
			b := data(1 + rng.IntN(1500))
			id, err := g.d.Alloc(tx, len(b))
			if err != nil {
				t.Fatal(err)
			}
			// A new object is stored at once (it needs a record before
			// the cache may drop it clean).
			if _, err := g.d.Store(tx, id, b); errors.Is(err, ssdalloc.ErrLogFull) {
				// Segments emptied in this batch are reusable only once
				// it is committed.
				flush()
				if _, err := g.d.Store(tx, id, b); err != nil {
					t.Fatal(err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			c.Put(id, b)
			model[id] = b
			ids = append(ids, id)
		case op < 45:
			id := ids[rng.IntN(len(ids))]
			cls, _ := g.d.Allocator().Class(id)
			b := data(1 + rng.IntN((cls+1)*ssdalloc.ClassStep))
			c.Put(id, b)
			model[id] = b
		case op < 97:
			id := ids[rng.IntN(len(ids))]
			got, err := c.Get(id)
			if err != nil || !bytes.Equal(got, model[id]) {
				t.Fatalf("step %d: get %d: %v", step, id, err)
			}
		case op < 99:
			i := rng.IntN(len(ids))
			id := ids[i]
			ids[i] = ids[len(ids)-1]
			ids = ids[:len(ids)-1]
			c.Forget(id)
			if err := g.d.Free(tx, id); err != nil {
				t.Fatal(err)
			}
			delete(model, id)
		default:
			flush()
		}
		if c.Used() > budget {
			t.Fatalf("step %d: tiers use %d bytes of a %d budget", step, c.Used(), budget)
		}
		if c.Pending() > budget/4 {
			sawPending = true
			flush()
		}
	}
	flush()
	st := c.Stats()
	t.Logf("%+v", st)
	if st.PageHits == 0 || st.ObjectHits == 0 || st.DeviceReads == 0 || !sawPending {
		t.Fatalf("a tier was never used: %+v", st)
	}
	g2, err := openAlloc(mem.CrashClone(vfs.CrashOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	defer g2.close()
	if err := checkObjects(g2.d, durable); err != nil {
		t.Fatalf("after a crash: %v", err)
	}
}
