package hashfs_test

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/localstore/hashfs"
	"mapstore/mmio"
)

// transRig is a Translation over a durable table of slots slots on a
// buffered region with a journal.
type transRig struct {
	tr *hashfs.Translation
	d  *hashfs.Durable
	j  *journal.Journal
}

func newTransRig(t *testing.T, slots int64, run, frames int) *transRig {
	return newTransRigStripes(t, slots, run, frames, 12)
}

// newTransRigStripes is newTransRig with stripes of 1<<shift slots.
func newTransRigStripes(t *testing.T, slots int64, run, frames int, shift uint) *transRig {
	t.Helper()
	mem := vfs.NewMem()
	f, _ := mem.Create("/dev")
	f.Truncate((hashfs.AreaSize(slots) + 4095) &^ 4095)
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
	t.Cleanup(func() { j.Close(); r.Close(); dev.Close() })
	d, err := hashfs.LoadDurable(r, 0, slots, run)
	if err != nil {
		t.Fatal(err)
	}
	return &transRig{tr: hashfs.NewTranslationStripes(d, frames, shift), d: d, j: j}
}

// do runs fn in one journal transaction.
func (g *transRig) do(t *testing.T, fn func(tx *mmio.Tx) error) {
	t.Helper()
	tx := g.j.Begin()
	if err := fn(tx); err != nil {
		t.Fatal(err)
	}
	if err := g.j.Commit(tx); err != nil {
		t.Fatal(err)
	}
}

// fakeBlock is the size of a block of the fake device.
const fakeBlock = 64

// TestTranslationReadersDuringRelocation runs readers against a writer
// that inserts, deletes and relocates keys at loads from 0.95 to 1 (so
// that columns fill and keys overflow). A fake device holds each block's
// content, fakeBlock bytes: the id of the key whose data it is, repeated.
// The writer writes a new key's block before publishing the key, zeroes a
// block when it frees it, and relocates a key as the storage layer would:
// Lock, copy the block out, Delete, Insert, copy it to the new block,
// Unlock. A reader pins a key and checks every byte of the block it is
// given: a relocation or deletion that did not wait for it, or a reader
// that did not wait for a relocation, shows up as zeroed, torn or someone
// else's data (and, with -race, as a data race on the fake device, whose
// bytes are plain memory). Stripes are 64 slots and columns 3000, so
// probes cross stripes and wrap, and a change's slot and home are often
// in different stripes.
func TestTranslationReadersDuringRelocation(t *testing.T) {
	const run = 8
	const slots = run * 3000
	g := newTransRigStripes(t, slots, run, 0, 6)
	tr := g.tr
	dev := make([]byte, slots*fakeBlock)
	id := func(k hashfs.Key) uint64 { return k.Obj<<24 | k.Block + 1 }
	fill := func(blk int64, v uint64) {
		for i := int64(0); i < fakeBlock; i += 8 {
			binary.LittleEndian.PutUint64(dev[blk*fakeBlock+i:], v)
		}
	}

	// published lists the keys whose blocks are written. Its first hot
	// entries are the keys the writer deletes and relocates, and the
	// readers' picks favour them, so that readers and the writer meet.
	const hot = 32
	var mu sync.Mutex
	var published []hashfs.Key
	pick := func(rng *rand.Rand) (hashfs.Key, int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(published) < hot {
			return hashfs.Key{}, 0, false
		}
		i := rng.IntN(hot)
		if rng.IntN(2) == 0 {
			i = rng.IntN(len(published))
		}
		return published[i], i, true
	}

	rng := rand.New(rand.NewPCG(42, 42))
	next := map[uint64]uint64{}
	newKey := func() hashfs.Key {
		obj := uint64(rng.IntN(2000))
		k := hashfs.Key{Obj: obj, Block: next[obj]}
		next[obj]++
		return k
	}
	insert := func(tx *mmio.Tx) error {
		k := newKey()
		blk, err := tr.Insert(tx, k)
		if err != nil {
			return err
		}
		fill(blk, id(k))
		mu.Lock()
		published = append(published, k)
		mu.Unlock()
		return nil
	}
	// Fill to a load of 0.98 before the readers start.
	for len(published) < slots*98/100 {
		g.do(t, func(tx *mmio.Tx) error {
			for i := 0; i < 256 && len(published) < slots*98/100; i++ {
				if err := insert(tx); err != nil {
					return err
				}
			}
			return nil
		})
	}

	ops := 20000
	if raceEnabled {
		ops = 3000
	}
	stop := make(chan struct{})
	var reads atomic.Int64
	var wg sync.WaitGroup
	for r := 0; r < 3; r++ {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				k, _, ok := pick(rng)
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
				// Read the block twice, letting the writer run in between:
				// the pin must keep it in place all along.
				for range 2 {
					for i := int64(0); i < fakeBlock; i += 8 {
						if got := binary.LittleEndian.Uint64(dev[m.Block*fakeBlock+i:]); got != id(k) {
							t.Errorf("reader of %v got block %d holding %#x at byte %d, want %#x", k, m.Block, got, i, id(k))
							break
						}
					}
					runtime.Gosched()
				}
				release()
				reads.Add(1)
			}
		})
	}

	var relocations, moved, maxOverflow int
	buf := make([]byte, fakeBlock)
	for op := 0; op < ops && !t.Failed(); op++ {
		n := len(published) // only this goroutine changes it
		// Inserts outnumber deletes: the load climbs to 1 and stays near.
		switch x := rng.IntN(6); {
		case n < slots && (x < 3 || n < slots*95/100):
			g.do(t, insert)
		case x == 3:
			mu.Lock()
			i := rng.IntN(hot)
			k := published[i]
			published[i] = published[len(published)-1]
			published = published[:len(published)-1]
			mu.Unlock()
			g.do(t, func(tx *mmio.Tx) error {
				m, ok := tr.Lookup(k)
				if !ok {
					t.Fatalf("%v not mapped", k)
				}
				if err := tr.Delete(tx, k); err != nil { // waits for k's readers
					return err
				}
				fill(m.Block, 0)
				return nil
			})
		default:
			mu.Lock()
			k := published[rng.IntN(hot)]
			mu.Unlock()
			tr.Lock(k)
			g.do(t, func(tx *mmio.Tx) error {
				m, _ := tr.Lookup(k)
				copy(buf, dev[m.Block*fakeBlock:(m.Block+1)*fakeBlock])
				if err := tr.Delete(tx, k); err != nil {
					return err
				}
				fill(m.Block, 0)
				blk, err := tr.Insert(tx, k)
				if err != nil {
					return err
				}
				copy(dev[blk*fakeBlock:], buf)
				if blk != m.Block {
					moved++
				}
				return nil
			})
			tr.Unlock(k)
			relocations++
		}
		maxOverflow = max(maxOverflow, g.d.Table().Overflow())
	}
	close(stop)
	wg.Wait()
	t.Logf("%d ops, %d reads, %d relocations (%d to another block), up to %d overflow keys",
		ops, reads.Load(), relocations, moved, maxOverflow)
	if moved == 0 || reads.Load() == 0 || maxOverflow == 0 {
		t.Fatal("no relocation moved a block, no read happened or no key overflowed: the test tested less than it should")
	}
	for _, k := range published {
		m, ok := tr.Lookup(k)
		if p, ok2 := g.d.Lookup(k); !ok || !ok2 || p != m.Block {
			t.Fatalf("%v: Translation says %d, %v; the table %d, %v", k, m.Block, ok, p, ok2)
		}
	}
}

// TestTranslationLockBlocksOnlyItsKey: while a key is locked for a
// relocation, its readers wait and readers of other keys do not; a Delete
// of a pinned key waits for the pin.
func TestTranslationLockBlocksOnlyItsKey(t *testing.T) {
	g := newTransRig(t, 1024, 8, 0)
	tr := g.tr
	a, b := hashfs.Key{Obj: 1, Block: 1}, hashfs.Key{Obj: 2, Block: 2}
	g.do(t, func(tx *mmio.Tx) error {
		if _, err := tr.Insert(tx, a); err != nil {
			return err
		}
		_, err := tr.Insert(tx, b)
		return err
	})
	read := func(k hashfs.Key) chan error {
		done := make(chan error, 1)
		go func() {
			_, release, err := tr.Read(k)
			if err == nil {
				release()
			}
			done <- err
		}()
		return done
	}
	tr.Lock(a)
	waiting := read(a)
	select {
	case err := <-read(b):
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a reader of another key waited for a locked key")
	}
	// Relocate a while its reader waits.
	g.do(t, func(tx *mmio.Tx) error {
		if err := tr.Delete(tx, a); err != nil {
			return err
		}
		_, err := tr.Insert(tx, a)
		return err
	})
	select {
	case <-waiting:
		t.Fatal("a reader of a locked key did not wait")
	case <-time.After(50 * time.Millisecond):
	}
	tr.Unlock(a)
	if err := <-waiting; err != nil {
		t.Fatalf("reader of the relocated key: %v", err)
	}

	// Delete waits for a pinned reader.
	_, release, err := tr.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	deleted := make(chan error, 1)
	go func() {
		tx := g.j.Begin()
		err := tr.Delete(tx, b)
		if err == nil {
			err = g.j.Commit(tx)
		}
		deleted <- err
	}()
	select {
	case <-deleted:
		t.Fatal("Delete did not wait for the reader's pin")
	case <-time.After(50 * time.Millisecond):
	}
	release()
	if err := <-deleted; err != nil {
		t.Fatal(err)
	}
	if _, ok := tr.Lookup(b); ok {
		t.Fatal("deleted key still mapped")
	}
}

// TestFramesAndRelocation: the resident frame of a block is part of the
// one lookup; a relocation that keeps the block resident sets the frame
// again at the new block, and the auxiliary frame -> block index follows;
// a deletion frees the frame.
func TestFramesAndRelocation(t *testing.T) {
	g := newTransRig(t, 1024, 8, 64)
	tr := g.tr
	var keys []hashfs.Key
	g.do(t, func(tx *mmio.Tx) error {
		// A load of 0.95: deletions below leave holes that relocations
		// fill, so relocated keys change blocks.
		for obj := uint64(1); len(keys) < 1024*95/100; obj++ {
			for b := uint64(0); b < 16 && len(keys) < 1024*95/100; b++ {
				k := hashfs.Key{Obj: obj, Block: b}
				if _, err := tr.Insert(tx, k); err != nil {
					return err
				}
				keys = append(keys, k)
			}
		}
		return nil
	})
	// Frames for the 64 keys farthest from home, listed first: deleting
	// keys near them opens holes closer to their homes.
	tb := g.d.Table()
	slices.SortStableFunc(keys, func(a, b hashfs.Key) int {
		return int(tb.ProbeLength(b) - tb.ProbeLength(a))
	})
	for f, k := range keys[:64] {
		if err := tr.SetFrame(k, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.SetFrame(keys[100], 3); err == nil {
		t.Fatal("a frame in use was given to a second block")
	}
	// Free space, then relocate the framed keys.
	g.do(t, func(tx *mmio.Tx) error {
		for _, k := range keys[64:400] {
			if err := tr.Delete(tx, k); err != nil {
				return err
			}
		}
		return nil
	})
	moved := 0
	for f, k := range keys[:64] {
		tr.Lock(k)
		g.do(t, func(tx *mmio.Tx) error {
			old, _ := tr.Lookup(k)
			if old.Frame != f {
				t.Fatalf("%v: frame %d, want %d", k, old.Frame, f)
			}
			if err := tr.Delete(tx, k); err != nil {
				return err
			}
			if tr.FrameBlock(f) != -1 {
				t.Fatalf("frame %d still maps block %d after its deletion", f, tr.FrameBlock(f))
			}
			blk, err := tr.Insert(tx, k)
			if err != nil {
				return err
			}
			if blk != old.Block {
				moved++
			}
			return tr.SetFrame(k, f)
		})
		tr.Unlock(k)
	}
	if moved == 0 {
		t.Fatal("no framed block was relocated to another block: the test tested nothing")
	}
	for f, k := range keys[:64] {
		m, release, err := tr.Read(k)
		if err != nil {
			t.Fatal(err)
		}
		release()
		if m.Frame != f {
			t.Fatalf("%v: frame %d after relocation, want %d", k, m.Frame, f)
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
	if err := tr.SetFrame(keys[200], 5); !errors.Is(err, hashfs.ErrNotFound) {
		t.Fatalf("frame for a deleted key: %v, want ErrNotFound", err)
	}
	t.Logf("%d of 64 framed blocks moved", moved)
}

// TestTranslationFullTable fills a table to every block, so that keys
// overflow their columns, and checks that Translation's locked lookups and
// Extents agree with the table's.
func TestTranslationFullTable(t *testing.T) {
	const slots = 2048
	g := newTransRig(t, slots, 256, 0)
	tr := g.tr
	var keys []hashfs.Key
	g.do(t, func(tx *mmio.Tx) error {
		for obj := uint64(1); len(keys) < slots; obj++ {
			for b := uint64(0); b < 100 && len(keys) < slots; b++ {
				k := hashfs.Key{Obj: obj, Block: b}
				if _, err := tr.Insert(tx, k); err != nil {
					return err
				}
				keys = append(keys, k)
			}
		}
		return nil
	})
	tb := g.d.Table()
	if tb.Overflow() == 0 {
		t.Fatal("no key overflowed in a full table")
	}
	for _, k := range keys {
		m, ok := tr.Lookup(k)
		if p, _ := tb.Lookup(k); !ok || m.Block != p {
			t.Fatalf("%v: Translation %d, %v; table %d", k, m.Block, ok, p)
		}
	}
	for obj := uint64(1); obj <= keys[len(keys)-1].Obj; obj++ {
		a, b := tr.Extents(obj, 0, 100), tb.Extents(obj, 0, 100)
		if len(a) != len(b) {
			t.Fatalf("object %d: %d extents, table %d", obj, len(a), len(b))
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("object %d: extent %+v, table %+v", obj, a[i], b[i])
			}
		}
	}
	t.Logf("%d overflow keys", tb.Overflow())
}
