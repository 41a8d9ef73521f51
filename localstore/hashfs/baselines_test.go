package hashfs

import (
	"errors"
	"math/rand/v2"
	"testing"
)

func TestBitmap(t *testing.T) {
	const n = 130 // three words, the last one partial
	m := newBitmap(n)
	seen := map[int64]bool{}
	for range n {
		i, ok := m.alloc()
		if !ok || i < 0 || i >= n || seen[i] {
			t.Fatalf("alloc: %d, %v (seen %v)", i, ok, seen[i])
		}
		seen[i] = true
	}
	if i, ok := m.alloc(); ok {
		t.Fatalf("alloc from a full bitmap: %d", i)
	}
	if m.tryAlloc(-1) || m.tryAlloc(n) || m.tryAlloc(5) {
		t.Fatal("tryAlloc of a block off the device or taken succeeded")
	}
	// Free two blocks behind the cursor: the search wraps to find them.
	m.free(3)
	m.free(129)
	for _, want := range []int64{3, 129} {
		if i, ok := m.alloc(); !ok || (i != 3 && i != 129) {
			t.Fatalf("alloc: %d, %v; want %d or the other freed block", i, ok, want)
		}
	}
	m.free(64)
	if !m.tryAlloc(64) || m.used != n {
		t.Fatalf("tryAlloc of a freed block failed or used %d != %d", m.used, n)
	}
}

// TestBitmapCursorRotates: next fit hands out blocks in order and does not
// return to a freed block before it wraps around.
func TestBitmapCursorRotates(t *testing.T) {
	m := newBitmap(256)
	for want := int64(0); want < 10; want++ {
		if i, _ := m.alloc(); i != want {
			t.Fatalf("alloc %d, want %d", i, want)
		}
	}
	m.free(2)
	if i, _ := m.alloc(); i != 10 {
		t.Fatalf("alloc %d after freeing 2, want 10 (next fit)", i)
	}
}

// TestCuckooFailedInsertChangesNothing shrinks the table below the device
// so that eviction runs out of room, and checks that the failing insert
// is ErrFull and leaves every mapping and the allocator as they were.
func TestCuckooFailedInsertChangesNothing(t *testing.T) {
	c, err := NewCuckoo(256)
	if err != nil {
		t.Fatal(err)
	}
	c.buckets = make([]cuckooBucket, 8) // 32 slots for 256 blocks
	c.nb = 8
	md := newMapperModel()
	rng := rand.New(rand.NewPCG(1, 2))
	for obj := uint64(0); ; obj++ {
		k := Key{Obj: obj, Block: uint64(rng.IntN(100))}
		used := c.space.used
		err := md.insert(t, c, k)
		if err == nil {
			continue
		}
		if !errors.Is(err, ErrFull) {
			t.Fatalf("insert: %v, want ErrFull", err)
		}
		if c.space.used != used {
			t.Fatalf("failed insert changed the allocator: %d blocks used, was %d", c.space.used, used)
		}
		t.Logf("full at %d of 32 slots: %v", c.Len(), err)
		break
	}
	md.check(t, c)
	if c.Len() < 24 {
		t.Errorf("full at %d of 32 slots; bucketized cuckoo should reach far higher", c.Len())
	}
}

// TestCuckooHighLoad fills a larger table to every block of the device
// (a table load of 0.95), where long eviction chains are common.
func TestCuckooHighLoad(t *testing.T) {
	const n = 1 << 15
	c, _ := NewCuckoo(n)
	md := newMapperModel()
	keys := &runKeys{rng: rand.New(rand.NewPCG(9, 9)), objects: 1 << 30}
	fillToFull(t, c, 0.95, md, keys)
	var two int
	for k := range md.blocks {
		if c.bucketsRead(k) == 2 {
			two++
		}
	}
	t.Logf("%d of %d blocks mapped; %.1f%% of lookups read two buckets",
		c.Len(), n, 100*float64(two)/float64(c.Len()))
}

// TestBaselinesKeepObjectsContiguous: an object written in order into an
// empty device is one physical run in both baselines; when a range of it
// is deleted and written again (forward or backward) while the allocator's
// cursor has moved on, the blocks return to their old, contiguous places.
func TestBaselinesKeepObjectsContiguous(t *testing.T) {
	for _, impl := range mapperImpls[2:] {
		t.Run(impl.name, func(t *testing.T) {
			m, _ := impl.new(1 << 12)
			for obj := uint64(1); obj <= 2; obj++ {
				for b := uint64(0); b < 100; b++ {
					mustInsert(t, m, Key{Obj: obj, Block: b})
				}
			}
			contiguous := func() {
				t.Helper()
				p0, _ := m.Lookup(Key{Obj: 1})
				for b := uint64(0); b < 100; b++ {
					if p, _ := m.Lookup(Key{Obj: 1, Block: b}); p != p0+int64(b) {
						t.Fatalf("object 1 block %d at %d, want %d", b, p, p0+int64(b))
					}
				}
			}
			contiguous()
			for pass, order := range [][2]int{{40, 60}, {59, 39}} {
				for b := uint64(40); b < 60; b++ {
					if err := m.Delete(Key{Obj: 1, Block: b}); err != nil {
						t.Fatal(err)
					}
				}
				for b := order[0]; b != order[1]; {
					mustInsert(t, m, Key{Obj: 1, Block: uint64(b)})
					if pass == 0 {
						b++
					} else {
						b--
					}
				}
				contiguous()
			}
		})
	}
}

func mustInsert(t *testing.T, m Mapper, k Key) int64 {
	t.Helper()
	p, err := m.Insert(k)
	if err != nil {
		t.Fatalf("insert %v: %v", k, err)
	}
	return p
}

// TestExtentSplitAndMerge follows the extents of one object through
// appends, a hole punched in the middle, and the hole filled again.
func TestExtentSplitAndMerge(t *testing.T) {
	et, _ := NewExtentTree(1 << 10)
	for b := uint64(0); b < 10; b++ {
		mustInsert(t, et, Key{Obj: 5, Block: b})
	}
	if got := et.Extents(5); got != 1 {
		t.Fatalf("%d extents after appending 10 blocks, want 1", got)
	}
	mid, _ := et.Lookup(Key{Obj: 5, Block: 4})
	if err := et.Delete(Key{Obj: 5, Block: 4}); err != nil {
		t.Fatal(err)
	}
	if got := et.Extents(5); got != 2 {
		t.Fatalf("%d extents after punching block 4, want 2", got)
	}
	if _, ok := et.Lookup(Key{Obj: 5, Block: 4}); ok {
		t.Fatal("punched block still mapped")
	}
	// Refilling the hole takes the same physical block (it continues
	// block 3) and joins the two extents again.
	if p := mustInsert(t, et, Key{Obj: 5, Block: 4}); p != mid {
		t.Fatalf("refilled block 4 at %d, want %d", p, mid)
	}
	if got := et.Extents(5); got != 1 {
		t.Fatalf("%d extents after refilling, want 1", got)
	}
	// Trim both ends, then delete the rest: the object disappears.
	for _, b := range []uint64{0, 9, 1, 8, 2, 3, 4, 5, 6, 7} {
		if err := et.Delete(Key{Obj: 5, Block: b}); err != nil {
			t.Fatal(err)
		}
	}
	if len(et.objs) != 0 || et.Len() != 0 || et.space.used != 0 {
		t.Fatalf("after deleting everything: %d objects, Len %d, %d blocks used", len(et.objs), et.Len(), et.space.used)
	}
	// Interleaved appends of two objects: every block is its own extent
	// except where the other object left room.
	for b := uint64(0); b < 4; b++ {
		mustInsert(t, et, Key{Obj: 1, Block: b})
		mustInsert(t, et, Key{Obj: 2, Block: b})
	}
	if got := et.Extents(1); got != 4 {
		t.Fatalf("%d extents for an object interleaved block by block, want 4", got)
	}
}
