package hashfs_test

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/localstore/hashfs"
	"mapstore/mmio"
)

// TestTranslationReadersDuringRelocation runs readers against a writer
// that inserts and deletes at a load near 0.9, so deletions slide many
// blocks. A fake device holds, per block, the id of the key whose data it
// is; the writer copies it on every relocation. A reader that holds a pin
// must always find its own key's data in the block it was given: a
// relocation that did not wait for it, or a reader that did not wait for a
// relocation, shows up as someone else's data.
func TestTranslationReadersDuringRelocation(t *testing.T) {
	const slots = 4 * 4096 // several stripes
	mem := vfs.NewMem()
	f, _ := mem.Create("/dev")
	f.Truncate(hashfs.AreaSize(slots))
	f.Sync()
	f.Close()
	mem.SyncDir("/")
	dev, _ := mem.OpenReadWrite("/dev")
	r, err := mmio.NewBuffered(dev, mmio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(mem, "/journal", r, journal.Options{Size: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { j.Close(); r.Close(); dev.Close() }()
	d, err := hashfs.LoadDurable(r, 0, slots, 8)
	if err != nil {
		t.Fatal(err)
	}
	tr := hashfs.NewTranslation(d)

	data := make([]atomic.Uint64, slots)
	id := func(k hashfs.Key) uint64 { return k.Obj<<20 | k.Block + 1 }

	var mu sync.Mutex
	var published []hashfs.Key
	pick := func(rng *rand.Rand) (hashfs.Key, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(published) == 0 {
			return hashfs.Key{}, false
		}
		return published[rng.IntN(len(published))], true
	}

	rng := rand.New(rand.NewPCG(42, 42))
	next := map[uint64]uint64{}
	newKey := func() hashfs.Key {
		obj := uint64(rng.IntN(2000))
		k := hashfs.Key{Obj: obj, Block: next[obj]}
		next[obj]++
		return k
	}
	// Fill to a load of 0.88 before the readers start.
	for len(published) < slots*88/100 {
		tx := j.Begin()
		for i := 0; i < 256; i++ {
			k := newKey()
			blk, err := tr.Insert(tx, k)
			if err != nil {
				t.Fatal(err)
			}
			data[blk].Store(id(k))
			published = append(published, k)
		}
		if err := j.Commit(tx); err != nil {
			t.Fatal(err)
		}
	}

	ops := 20000
	if raceEnabled {
		ops = 3000
	}
	stop := make(chan struct{})
	var reads, relocations atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				k, ok := pick(rng)
				if !ok {
					continue
				}
				blk, release, err := tr.Read(k)
				if errors.Is(err, hashfs.ErrNotFound) {
					continue // deleted since it was picked
				}
				if err != nil {
					t.Error(err)
					return
				}
				if got := data[blk].Load(); got != id(k) {
					t.Errorf("reader of %v got block %d holding data of %#x", k, blk, got)
				}
				release()
				reads.Add(1)
			}
		})
	}

	for op := 0; op < ops && !t.Failed(); op++ {
		tx := j.Begin()
		mu.Lock()
		n := len(published)
		mu.Unlock()
		if n < slots*9/10 || rng.IntN(2) == 0 {
			k := newKey()
			blk, err := tr.Insert(tx, k)
			if err != nil {
				t.Fatal(err)
			}
			data[blk].Store(id(k))
			if err := j.Commit(tx); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			published = append(published, k)
			mu.Unlock()
			continue
		}
		mu.Lock()
		i := rng.IntN(len(published))
		k := published[i]
		published[i] = published[len(published)-1]
		published = published[:len(published)-1]
		mu.Unlock()
		err := tr.Delete(tx, k, func(m hashfs.Move) error {
			data[m.To].Store(data[m.From].Load())
			data[m.From].Store(0)
			relocations.Add(1)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := j.Commit(tx); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d ops, %d reads, %d relocations", ops, reads.Load(), relocations.Load())
	if relocations.Load() == 0 || reads.Load() == 0 {
		t.Fatal("no relocation or no read happened: the test tested nothing")
	}
}
