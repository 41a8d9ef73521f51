package hashfs_test

import (
	"errors"
	"maps"
	"math/rand/v2"
	"testing"

	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/localstore/hashfs"
	"mapstore/mmio"
)

const (
	crashSlots = 1024
	crashRun   = 8
)

// durRig is a durable table on a buffered region with a journal.
type durRig struct {
	dev vfs.File
	r   *mmio.Region
	j   *journal.Journal
	d   *hashfs.Durable
}

func (g *durRig) close() {
	g.j.Close()
	g.r.Close()
	g.dev.Close()
}

func newDevice(t *testing.T, fs vfs.FS) {
	f, err := fs.Create("/dev")
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(hashfs.AreaSize(crashSlots))
	f.Sync()
	f.Close()
	fs.SyncDir("/")
}

func openDur(fs vfs.FS) (*durRig, error) {
	g := &durRig{}
	var err error
	if g.dev, err = fs.OpenReadWrite("/dev"); err != nil {
		return nil, err
	}
	if g.r, err = mmio.NewBuffered(g.dev, mmio.Options{}); err != nil {
		return nil, err
	}
	if g.j, err = journal.Open(fs, "/journal", g.r, journal.Options{Size: 128 << 10, InlineCheckpoint: true}); err != nil {
		return nil, err
	}
	if g.d, err = hashfs.LoadDurable(g.r, 0, crashSlots, crashRun); err != nil {
		return nil, err
	}
	return g, nil
}

// snapshot lists the table's slots.
func snapshot(tb *hashfs.Table) map[int64]hashfs.Key {
	out := map[int64]hashfs.Key{}
	for i := int64(0); i < tb.Slots(); i++ {
		if k, used := tb.At(i); used {
			out[i] = k
		}
	}
	return out
}

// TestDurableCrashAtEveryPoint runs batches of random inserts and deletes,
// one journal commit per batch, and crashes (random survival of unsynced
// blocks, torn last write) before every file operation: the recovered
// table must be the one after the last acknowledged batch or after the
// batch in flight, and must pass LoadDurable's checks (no key twice, every
// key reachable).
func TestDurableCrashAtEveryPoint(t *testing.T) {
	mem := vfs.NewMem()
	newDevice(t, mem)
	rng := rand.New(rand.NewPCG(5, 6))
	crashRng := rand.New(rand.NewPCG(7, 8))
	prev := map[int64]hashfs.Key{}
	next := prev
	points, batch := 0, 0
	fs := vfs.NewErrorFS(mem, vfs.InjectorFunc(func(op vfs.Op) error {
		if !op.Kind.Mutates() {
			return nil
		}
		points++
		clone := mem.CrashClone(vfs.CrashOptions{Rand: crashRng, UnsyncedBlockSurvival: 0.5, TornLastWrite: true})
		g, err := openDur(clone)
		if err != nil {
			t.Fatalf("crash before %v in batch %d: recovery: %v", op, batch, err)
		}
		got := snapshot(g.d.Table())
		g.close()
		if !maps.Equal(got, prev) && !maps.Equal(got, next) {
			t.Fatalf("crash before %v in batch %d: recovered table (%d keys) is neither the acknowledged one (%d) nor the one in flight (%d)",
				op, batch, len(got), len(prev), len(next))
		}
		return nil
	}))
	g, err := openDur(fs)
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	var keys []hashfs.Key
	for batch = 0; batch < 1000; batch++ {
		tx := g.j.Begin()
		for n := 1 + rng.IntN(5); n > 0; n-- {
			if len(keys) > 0 && (rng.IntN(10) < 3 || len(keys) == crashSlots) {
				i := rng.IntN(len(keys))
				if err := g.d.Delete(tx, keys[i]); err != nil {
					t.Fatal(err)
				}
				keys[i] = keys[len(keys)-1]
				keys = keys[:len(keys)-1]
				continue
			}
			k := hashfs.Key{Obj: uint64(rng.IntN(50)), Block: uint64(rng.IntN(200))}
			if _, err := g.d.Insert(tx, k); err == nil {
				keys = append(keys, k)
			}
		}
		next = snapshot(g.d.Table())
		if err := g.j.Commit(tx); err != nil {
			t.Fatal(err)
		}
		prev = next
	}
	if points < 2000 {
		t.Fatalf("only %d crash points", points)
	}
	t.Logf("%d crash points, %d keys at the end, %d overflow keys", points, len(keys), g.d.Table().Overflow())
}

// TestLoadRejectsCorruption: a free slot with data, a key stored twice,
// and probe-limit bits on the device (they are derived data, never
// stored) are refused.
func TestLoadRejectsCorruption(t *testing.T) {
	mem := vfs.NewMem()
	newDevice(t, mem)
	g, err := openDur(mem)
	if err != nil {
		t.Fatal(err)
	}
	tx := g.j.Begin()
	slot, _ := g.d.Insert(tx, hashfs.Key{Obj: 1, Block: 2})
	if err := g.j.Commit(tx); err != nil {
		t.Fatal(err)
	}
	g.j.Checkpoint()
	g.close()
	rec := func(b []byte, i int64) []byte { return b[i*hashfs.EntrySize : (i+1)*hashfs.EntrySize] }
	for name, mutate := range map[string]func([]byte){
		"free slot with data":       func(b []byte) { rec(b, (slot+1)%crashSlots)[0] = 1 },
		"key twice, another column": func(b []byte) { copy(rec(b, (slot+1)%crashSlots), rec(b, slot)) },
		"key twice, next group":     func(b []byte) { copy(rec(b, (slot+crashRun)%crashSlots), rec(b, slot)) },
		"key twice, group before":   func(b []byte) { copy(rec(b, (slot+crashSlots-crashRun)%crashSlots), rec(b, slot)) },
		"limit bits stored":         func(b []byte) { rec(b, slot)[14] = 1 },
	} {
		t.Run(name, func(t *testing.T) {
			clone := mem.CrashClone(vfs.CrashOptions{})
			f, _ := clone.OpenReadWrite("/dev")
			b := make([]byte, hashfs.AreaSize(crashSlots))
			f.ReadAt(b, 0)
			mutate(b)
			f.WriteAt(b, 0)
			f.Sync()
			f.Close()
			if _, err := openDur(clone); !errors.Is(err, hashfs.ErrCorrupt) {
				t.Fatalf("load of a damaged table: %v, want a corruption error", err)
			} else {
				t.Log(err)
			}
		})
	}
}
