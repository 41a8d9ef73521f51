package hashfs_test

import (
	"errors"
	"math/rand/v2"
	"slices"
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
	tr := hashfs.NewTranslation(d, 0)

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
				m, release, err := tr.Read(k)
				if errors.Is(err, hashfs.ErrNotFound) {
					continue // deleted since it was picked
				}
				if err != nil {
					t.Error(err)
					return
				}
				if got := data[m.Block].Load(); got != id(k) {
					t.Errorf("reader of %v got block %d holding data of %#x", k, m.Block, got)
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

// TestFramesFollowRelocations: the resident frame of a block is part of
// the one lookup, moves with the block when a deletion slides it, and the
// auxiliary frame -> block index follows.
func TestFramesFollowRelocations(t *testing.T) {
	mem := vfs.NewMem()
	newDevice(t, mem)
	g, err := openDur(mem)
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	tr := hashfs.NewTranslation(g.d, 64)
	tx := g.j.Begin()
	// Fill to a load of 0.85 so that many blocks sit away from home.
	var keys []hashfs.Key
	for obj := uint64(1); obj <= 54; obj++ {
		for b := uint64(0); b < 16; b++ {
			k := hashfs.Key{Obj: obj, Block: b}
			if _, err := tr.Insert(tx, k); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k)
		}
	}
	if err := g.j.Commit(tx); err != nil {
		t.Fatal(err)
	}
	// Give frames to 64 blocks that sit away from home (they can slide),
	// listed first.
	slices.SortStableFunc(keys, func(a, b hashfs.Key) int {
		pa, pb := g.d.Table().ProbeLength(a), g.d.Table().ProbeLength(b)
		return int(pb - pa)
	})
	for f, k := range keys[:64] {
		if err := tr.SetFrame(k, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.SetFrame(keys[100], 3); err == nil {
		t.Fatal("a frame in use was given to a second block")
	}
	// Delete keys until some framed key has moved.
	moved := 0
	for _, k := range keys[64:] {
		tx := g.j.Begin()
		err := tr.Delete(tx, k, func(m hashfs.Move) error {
			for _, fk := range keys[:64] {
				if m.Key == fk {
					moved++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := g.j.Commit(tx); err != nil {
			t.Fatal(err)
		}
	}
	if moved == 0 {
		t.Fatal("no framed block was relocated: the test tested nothing")
	}
	for f, k := range keys[:64] {
		m, release, err := tr.Read(k)
		if err != nil {
			t.Fatal(err)
		}
		release()
		if m.Frame != f {
			t.Fatalf("%v: frame %d after relocations, want %d", k, m.Frame, f)
		}
		if got := tr.FrameBlock(f); got != m.Block {
			t.Fatalf("frame %d maps to block %d, the key is in %d", f, got, m.Block)
		}
	}
	// Evicting frees the frame for another block.
	if err := tr.SetFrame(keys[0], -1); err != nil {
		t.Fatal(err)
	}
	if err := tr.SetFrame(keys[1], -1); err != nil {
		t.Fatal(err)
	}
	if err := tr.SetFrame(keys[1], 0); err != nil {
		t.Fatalf("reusing an evicted frame: %v", err)
	}
	if m, _ := tr.Lookup(keys[0]); m.Frame != -1 {
		t.Fatalf("evicted block still reports frame %d", m.Frame)
	}
	t.Logf("%d relocations of framed blocks", moved)
}
