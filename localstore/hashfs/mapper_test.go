package hashfs

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// mapperImpl is one implementation of Mapper under test.
type mapperImpl struct {
	name string
	new  func(nblocks int64) (Mapper, error)
	// minFull is the least load (mapped blocks / blocks) at which Insert
	// may fail with ErrFull while blocks are still free. The cuckoo table
	// may fail to find an eviction chain once it nears its design load of
	// 0.95; the others fail only when every block is allocated.
	minFull float64
}

var mapperImpls = []mapperImpl{
	{"hashfs-r8", func(n int64) (Mapper, error) { return New(n, 8) }, 1},
	{"hashfs-r256", func(n int64) (Mapper, error) { return New(n, largeRun(n)) }, 1},
	{"cuckoo", func(n int64) (Mapper, error) { return NewCuckoo(n) }, 0.95},
	{"extent", func(n int64) (Mapper, error) { return NewExtentTree(n) }, 1},
}

// largeRun is the run length the store uses, 256, or the largest power of
// two dividing n if that is smaller (for test tables of odd sizes).
func largeRun(n int64) int {
	r := 256
	for n%int64(r) != 0 {
		r /= 2
	}
	return r
}

// mapperModel is the naive model of a Mapper: the block of every mapped
// key, and the owner of every allocated block.
type mapperModel struct {
	blocks map[Key]int64
	owners map[int64]Key
	keys   []Key // the keys of blocks, for picking one at random
}

func newMapperModel() *mapperModel {
	return &mapperModel{blocks: map[Key]int64{}, owners: map[int64]Key{}}
}

// insert inserts k into m and the model, checking the block it got. It
// returns Insert's error, which the caller judges, if the insert failed.
func (md *mapperModel) insert(t *testing.T, m Mapper, k Key) error {
	t.Helper()
	p, err := m.Insert(k)
	if _, had := md.blocks[k]; had {
		if !errors.Is(err, ErrExists) {
			t.Fatalf("insert of mapped %v: %v, want ErrExists", k, err)
		}
		return nil
	}
	if err != nil {
		if _, ok := m.Lookup(k); ok {
			t.Fatalf("failed insert of %v (%v) left it mapped", k, err)
		}
		return err
	}
	if p < 0 || p >= m.Slots() {
		t.Fatalf("insert %v: block %d outside [0, %d)", k, p, m.Slots())
	}
	if owner, taken := md.owners[p]; taken {
		t.Fatalf("insert %v: block %d already belongs to %v", k, p, owner)
	}
	md.blocks[k] = p
	md.owners[p] = k
	md.keys = append(md.keys, k)
	return nil
}

// deleteRandom deletes a random mapped key from m and the model. No other
// key may move: check finds every key where the model has it.
func (md *mapperModel) deleteRandom(t *testing.T, m Mapper, rng *rand.Rand) {
	t.Helper()
	i := rng.IntN(len(md.keys))
	k := md.keys[i]
	md.keys[i] = md.keys[len(md.keys)-1]
	md.keys = md.keys[:len(md.keys)-1]
	if err := m.Delete(k); err != nil {
		t.Fatalf("delete %v: %v", k, err)
	}
	freed := md.blocks[k]
	delete(md.blocks, k)
	delete(md.owners, freed)
	if _, ok := m.Lookup(k); ok {
		t.Fatalf("%v still mapped after its deletion", k)
	}
	if err := m.Delete(k); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete of %v: %v, want ErrNotFound", k, err)
	}
}

// check compares m with the model: Len, and the block of every key.
// Uniqueness of blocks is checked as they are handed out; for a Table,
// checkTable also scans every slot.
func (md *mapperModel) check(t *testing.T, m Mapper) {
	t.Helper()
	if m.Len() != int64(len(md.blocks)) || len(md.owners) != len(md.blocks) {
		t.Fatalf("Len %d, model %d keys owning %d blocks", m.Len(), len(md.blocks), len(md.owners))
	}
	for k, want := range md.blocks {
		if p, ok := m.Lookup(k); !ok || p != want {
			t.Fatalf("lookup %v: %d, %v; want %d", k, p, ok, want)
		}
	}
	if tb, ok := m.(*Table); ok {
		checkTable(t, tb, md.blocks)
	}
}

// runKeys yields keys the way objects are written: an object id, then a
// run of 1 to 64 consecutive blocks from a random offset (an append or an
// overwrite of a range). Objects are few, so runs overlap and collide.
type runKeys struct {
	rng       *rand.Rand
	objects   int
	cur       Key
	remaining int
}

func (g *runKeys) next() Key {
	if g.remaining == 0 {
		g.cur = Key{Obj: uint64(g.rng.IntN(g.objects)), Block: uint64(g.rng.IntN(4096))}
		g.remaining = 1 + g.rng.IntN(64)
	}
	k := g.cur
	g.cur.Block++
	g.remaining--
	return k
}

// TestMapperModel runs random inserts, lookups and deletes against the
// naive model for every implementation, filling to a load of 0.95 and
// draining again, then deletes everything and checks that every block
// can be allocated again (no leak).
func TestMapperModel(t *testing.T) {
	for _, impl := range mapperImpls {
		t.Run(impl.name, func(t *testing.T) {
			const n = 4096
			m, err := impl.new(n)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(7, 11))
			keys := &runKeys{rng: rng, objects: 32}
			md := newMapperModel()
			for cycle := 0; cycle < 3; cycle++ {
				for m.Len() < n*95/100 {
					if len(md.keys) > 0 && rng.IntN(4) == 0 {
						md.deleteRandom(t, m, rng)
						continue
					}
					if err := md.insert(t, m, keys.next()); err != nil {
						t.Fatalf("insert at load %d/%d: %v", m.Len(), n, err)
					}
				}
				md.check(t, m)
				if _, ok := m.Lookup(Key{Obj: 1 << 40, Block: 3}); ok {
					t.Fatal("lookup of an unmapped object succeeded")
				}
				for m.Len() > n*30/100 {
					md.deleteRandom(t, m, rng)
				}
				md.check(t, m)
			}
			for len(md.keys) > 0 {
				md.deleteRandom(t, m, rng)
			}
			md.check(t, m)
			fillToFull(t, m, impl.minFull, md, keys)
		})
	}
}

// fillToFull inserts until Insert fails and checks that it failed with
// ErrFull, not before a load of minFull, and with ErrFull again for any
// further key once every block is allocated.
func fillToFull(t *testing.T, m Mapper, minFull float64, md *mapperModel, keys *runKeys) {
	t.Helper()
	n := m.Slots()
	for {
		err := md.insert(t, m, keys.next())
		if err == nil {
			continue
		}
		if !errors.Is(err, ErrFull) {
			t.Fatalf("insert at load %d/%d: %v, want ErrFull", m.Len(), n, err)
		}
		if load := float64(m.Len()) / float64(n); load < minFull {
			t.Fatalf("ErrFull at load %.4f, below %.2f: %v", load, minFull, err)
		}
		t.Logf("full at %d of %d blocks: %v", m.Len(), n, err)
		break
	}
	md.check(t, m)
	if m.Len() == n {
		if _, err := m.Insert(Key{Obj: 1 << 40}); !errors.Is(err, ErrFull) {
			t.Fatalf("insert with every block allocated: %v, want ErrFull", err)
		}
	}
}

// TestMapperFull fills each implementation with distinct keys until
// Insert fails: it must fail with ErrFull, and (for all but the cuckoo
// table, see minFull) only once every block is allocated. Then it drains
// the mapper and fills it again, to catch leaked blocks.
func TestMapperFull(t *testing.T) {
	for _, impl := range mapperImpls {
		t.Run(impl.name, func(t *testing.T) {
			const n = 1000 // not a multiple of 64: the bitmap's last word is partial
			m, err := impl.new(n)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(3, 5))
			md := newMapperModel()
			for round := 0; round < 3; round++ {
				// Distinct keys: new objects each round.
				keys := &runKeys{rng: rng, objects: 1 << 30}
				fillToFull(t, m, impl.minFull, md, keys)
				for len(md.keys) > 0 {
					md.deleteRandom(t, m, rng)
				}
				md.check(t, m)
			}
		})
	}
}

func TestMapperBadArguments(t *testing.T) {
	for _, impl := range mapperImpls {
		t.Run(impl.name, func(t *testing.T) {
			if _, err := impl.new(0); err == nil {
				t.Error("0 blocks accepted")
			}
			m, err := impl.new(64)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Insert(Key{Block: MaxBlock + 1}); !errors.Is(err, ErrBlockRange) {
				t.Errorf("block beyond 48 bits: %v, want ErrBlockRange", err)
			}
			if err := m.Delete(Key{Obj: 1}); !errors.Is(err, ErrNotFound) {
				t.Errorf("delete of an unmapped key: %v, want ErrNotFound", err)
			}
			if _, err := m.Insert(Key{Obj: 1, Block: MaxBlock}); err != nil {
				t.Errorf("insert of the last block: %v", err)
			}
		})
	}
}
