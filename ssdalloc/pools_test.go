package ssdalloc

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSizeClasses(t *testing.T) {
	for _, c := range []struct{ size, class int }{
		{0, 0}, {1, 0}, {512, 0}, {513, 1}, {1024, 1}, {1025, 2}, {MaxObject, NumClasses - 1},
	} {
		got, err := classOf(c.size)
		if err != nil || got != c.class {
			t.Errorf("classOf(%d) = %d, %v; want %d", c.size, got, err, c.class)
		}
		if c.size > classSize(got) {
			t.Errorf("size %d does not fit its class %d of %d bytes", c.size, got, classSize(got))
		}
	}
	for _, bad := range []int{-1, MaxObject + 1} {
		if _, err := classOf(bad); !errors.Is(err, ErrTooLarge) {
			t.Errorf("classOf(%d): %v, want ErrTooLarge", bad, err)
		}
	}
}

// TestTableGrowth: a pool's tables are 128, 256, ... slots, doubling until
// 10,000, and 10,000 each after that.
func TestTableGrowth(t *testing.T) {
	p := NewPools()
	for i := 0; i < 40000; i++ {
		if _, err := p.Alloc(700); err != nil {
			t.Fatal(err)
		}
	}
	// 128+...+8192 = 16,256 slots, then 10,000 per table: 40,000 objects need three.
	want := []int{128, 256, 512, 1024, 2048, 4096, 8192, 10000, 10000, 10000}
	if got := p.TableSizes(1); !slices.Equal(got, want) {
		t.Fatalf("table sizes %v, want %v", got, want)
	}
}

// TestPoolsModel allocates and frees at random against a map: ids are
// unique while allocated, Free of a freed or unknown id fails, freed slots
// are reused before new tables are made, and every id resolves to the
// class it was allocated in.
func TestPoolsModel(t *testing.T) {
	p := NewPools()
	rng := rand.New(rand.NewPCG(7, 7))
	live := map[ObjectID]int{} // id -> class
	var ids []ObjectID
	for step := 0; step < 200000; step++ {
		if len(ids) > 0 && rng.IntN(100) < 45 {
			i := rng.IntN(len(ids))
			id := ids[i]
			ids[i] = ids[len(ids)-1]
			ids = ids[:len(ids)-1]
			if err := p.Free(id); err != nil {
				t.Fatalf("free %d: %v", id, err)
			}
			delete(live, id)
			if err := p.Free(id); !errors.Is(err, ErrBadID) {
				t.Fatalf("double free of %d: %v, want ErrBadID", id, err)
			}
			continue
		}
		size := rng.IntN(4 * ClassStep)
		id, err := p.Alloc(size)
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := live[id]; dup {
			t.Fatalf("id %d handed out twice", id)
		}
		c, _ := classOf(size)
		live[id] = c
		ids = append(ids, id)
	}
	for id, c := range live {
		if got, err := p.Class(id); err != nil || got != c {
			t.Fatalf("id %d: class %d, %v; want %d", id, got, err, c)
		}
	}
	// With everything freed, new allocations must reuse slots: no table
	// may be created while the pool's tables have room.
	before := len(p.byBase)
	for id := range live {
		if err := p.Free(id); err != nil {
			t.Fatal(err)
		}
	}
	for c := 0; c < 4; c++ {
		for i := 0; i < 1000; i++ {
			if _, err := p.Alloc(c*ClassStep + 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	if after := len(p.byBase); after != before {
		t.Fatalf("%d new tables made although every slot was free", after-before)
	}
	if _, err := p.Class(0); !errors.Is(err, ErrBadID) {
		t.Fatalf("id 0: %v, want ErrBadID", err)
	}
	if _, err := p.Class(p.nextID + 5); !errors.Is(err, ErrBadID) {
		t.Fatalf("id past the last table: %v, want ErrBadID", err)
	}
}

// TestActivateMostFree: when the active table fills, the table with the
// most free slots becomes active.
func TestActivateMostFree(t *testing.T) {
	p := NewPools()
	var ids []ObjectID
	for i := 0; i < 128+256; i++ { // fill tables 0 (128) and 1 (256)
		id, _ := p.Alloc(100)
		ids = append(ids, id)
	}
	// Free 10 in table 0 and 20 in table 1; table 1 is still active and
	// has 20 free, so the next 20 come from it, then table 0's 10.
	for _, id := range ids[:10] {
		p.Free(id)
	}
	for _, id := range ids[128 : 128+20] {
		p.Free(id)
	}
	tableOf := func(id ObjectID) uint32 {
		tb, _, err := p.find(id)
		if err != nil {
			t.Fatal(err)
		}
		return tb.id
	}
	for i := 0; i < 30; i++ {
		id, _ := p.Alloc(100)
		want := uint32(1)
		if i >= 20 {
			want = 0
		}
		if got := tableOf(id); got != want {
			t.Fatalf("allocation %d from table %d, want %d", i, got, want)
		}
	}
	if n := len(p.TableSizes(0)); n != 2 {
		t.Fatalf("%d tables, want 2 (no new table while others had room)", n)
	}
}
