package volume_test

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/localstore/hashfs"
	"mapstore/localstore/volume"
	"mapstore/ssdalloc"
)

// A small volume for crash tests: runs of 32 blocks, 256 data blocks
// (1 MiB): room for a few segments and some data objects.
const (
	tRun    = 32
	tDevLen = 1<<20 + 256<<10
)

func newDevice(t *testing.T, fs vfs.FS) {
	t.Helper()
	f, err := fs.Create("/dev")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(tDevLen); err != nil {
		t.Fatal(err)
	}
	f.Sync()
	f.Close()
	fs.SyncDir("/")
}

type rig struct {
	dev vfs.File
	v   *volume.Volume
}

func (g *rig) close() {
	if g.v != nil {
		g.v.Close()
	}
	g.dev.Close()
}

func openVolume(fs vfs.FS) (*rig, error) {
	dev, err := fs.OpenReadWrite("/dev")
	if err != nil {
		return nil, err
	}
	v, err := volume.Open(fs, "/journal", dev, volume.Options{
		Run: tRun, Buffered: true,
		Journal: journal.Options{Size: 512 << 10, InlineCheckpoint: true},
	})
	if err != nil {
		dev.Close()
		return nil, err
	}
	return &rig{dev: dev, v: v}, nil
}

// model is what a volume should hold: small objects and data objects.
type model struct {
	small map[ssdalloc.ObjectID][]byte
	data  map[uint64][]byte // object -> its bytes (whole blocks)
}

func (m model) clone() model {
	return model{small: maps.Clone(m.small), data: maps.Clone(m.data)}
}

// check reads every object of m back from v, and checks that the blocks
// in use are exactly m's data blocks plus whole segments.
func check(v *volume.Volume, m model) error {
	for id, want := range m.small {
		got, err := v.Allocator().Read(id)
		if err != nil {
			return fmt.Errorf("small object %d: %w", id, err)
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("small object %d differs", id)
		}
	}
	if n := v.Allocator().Allocator().Stored(); n != len(m.small) {
		return fmt.Errorf("%d small objects stored, want %d", n, len(m.small))
	}
	dataBlocks := int64(0)
	for obj, want := range m.data {
		got := make([]byte, len(want))
		if err := v.ReadBlocks(obj, 0, got); err != nil {
			return fmt.Errorf("data object %d: %w", obj, err)
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("data object %d differs", obj)
		}
		dataBlocks += int64(len(want) / volume.BlockSize)
	}
	_, used := v.Blocks()
	segBlocks := used - dataBlocks
	if segBlocks < 0 || segBlocks%32 != 0 {
		return fmt.Errorf("%d blocks in use for %d data blocks: not whole segments (leaked or lost blocks)", used, dataBlocks)
	}
	return nil
}

// TestCrashAtEveryPoint runs batches that store, rewrite and free small
// objects, clean segments, and write and free data objects, one commit
// each, and crashes before every file operation (unsynced blocks survive
// at random, the last write may be torn): after recovery the volume holds
// exactly the last acknowledged batch or the one in flight, byte-exact,
// its translation loads (no block owned twice) and no block leaked.
func TestCrashAtEveryPoint(t *testing.T) {
	mem := vfs.NewMem()
	newDevice(t, mem)
	rng := rand.New(rand.NewPCG(31, 32))
	crashRng := rand.New(rand.NewPCG(33, 34))
	cur := model{small: map[ssdalloc.ObjectID][]byte{}, data: map[uint64][]byte{}}
	prev, next := cur.clone(), cur.clone()
	points, batch := 0, 0
	crash := func(op vfs.Op) {
		clone := mem.CrashClone(vfs.CrashOptions{Rand: crashRng, UnsyncedBlockSurvival: 0.5, TornLastWrite: true})
		g, err := openVolume(clone)
		if err != nil {
			t.Fatalf("crash before %v in batch %d: recovery: %v", op, batch, err)
		}
		defer g.close()
		errPrev, errNext := check(g.v, prev), check(g.v, next)
		if errPrev != nil && errNext != nil {
			t.Fatalf("crash before %v in batch %d: neither the acknowledged state (%v) nor the batch in flight (%v)", op, batch, errPrev, errNext)
		}
	}
	fs := vfs.NewErrorFS(mem, vfs.InjectorFunc(func(op vfs.Op) error {
		if op.Kind.Mutates() && batch > 0 {
			points++
			crash(op)
		}
		return nil
	}))
	g, err := openVolume(fs)
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	payload := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	var ids []ssdalloc.ObjectID
	nextObj := uint64(volume.FirstObject)
	cleanings, dataWrites, dataFrees := 0, 0, 0
	batches := 1000
	if raceEnabled {
		batches = 400
	}
	a := g.v.Allocator()
	for batch = 1; batch <= batches; batch++ {
		tx := g.v.Begin()
		for n := 1 + rng.IntN(4); n > 0; n-- {
			_, used := g.v.Blocks()
			switch op := rng.IntN(12); {
			case op == 0 || a.Allocator().Log().FreeSegments() <= 2:
				moved, err := a.Clean(tx)
				if err != nil {
					t.Fatal(err)
				}
				if moved > 0 {
					cleanings++
				}
			case op < 3 && len(ids) < 300 || len(ids) == 0:
				b := payload(1 + rng.IntN(3000))
				id, err := a.Alloc(tx, len(b))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := a.Store(tx, id, b); err != nil {
					t.Fatal(err)
				}
				cur.small[id] = b
				ids = append(ids, id)
			case op < 5:
				id := ids[rng.IntN(len(ids))]
				c, _ := a.Allocator().Class(id)
				b := payload(1 + rng.IntN((c+1)*ssdalloc.ClassStep))
				if _, err := a.Store(tx, id, b); err != nil {
					t.Fatal(err)
				}
				cur.small[id] = b
			case op < 6:
				i := rng.IntN(len(ids))
				if err := a.Free(tx, ids[i]); err != nil {
					t.Fatal(err)
				}
				delete(cur.small, ids[i])
				ids[i] = ids[len(ids)-1]
				ids = ids[:len(ids)-1]
			case op < 9 && used < 150:
				b := payload((1 + rng.IntN(12)) * volume.BlockSize)
				if err := g.v.WriteBlocks(tx, nextObj, 0, b); err != nil {
					t.Fatal(err)
				}
				cur.data[nextObj] = b
				nextObj++
				dataWrites++
			default:
				for obj, b := range cur.data {
					if err := g.v.FreeBlocks(obj, 0, uint64(len(b)/volume.BlockSize)); err != nil {
						t.Fatal(err)
					}
					delete(cur.data, obj)
					dataFrees++
					break
				}
			}
		}
		next = cur.clone()
		if err := g.v.Commit(tx); err != nil {
			t.Fatal(err)
		}
		prev = next
	}
	if err := check(g.v, cur); err != nil {
		t.Fatal(err)
	}
	if cleanings == 0 || dataWrites == 0 || dataFrees == 0 || points < 2*batches {
		t.Fatalf("thin workload: %d cleanings, %d data writes, %d frees, %d crash points", cleanings, dataWrites, dataFrees, points)
	}
	t.Logf("%d crash points; %d cleanings, %d data objects written, %d freed", points, cleanings, dataWrites, dataFrees)
}

// TestFreedBlocksNotReusedInTheirBatch: a block freed in a batch stays
// allocated until the batch commits, so writes in the same batch that
// fill the device never land on it, and its committed data survives a
// crash before the commit.
func TestFreedBlocksNotReusedInTheirBatch(t *testing.T) {
	mem := vfs.NewMem()
	newDevice(t, mem)
	g, err := openVolume(mem)
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	old := bytes.Repeat([]byte{0xaa}, volume.BlockSize)
	tx := g.v.Begin()
	if err := g.v.WriteBlocks(tx, volume.FirstObject, 0, old); err != nil {
		t.Fatal(err)
	}
	if err := g.v.Commit(tx); err != nil {
		t.Fatal(err)
	}
	total, used := g.v.Blocks()
	tx = g.v.Begin()
	if err := g.v.FreeBlocks(volume.FirstObject, 0, 1); err != nil {
		t.Fatal(err)
	}
	written := int64(0)
	for obj := uint64(volume.FirstObject + 1); ; obj++ {
		err := g.v.WriteBlocks(tx, obj, 0, bytes.Repeat([]byte{0xbb}, volume.BlockSize))
		if errors.Is(err, hashfs.ErrFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		written++
	}
	if written != total-used {
		t.Fatalf("the batch wrote %d blocks, want the %d free before it (the freed block must not be reused)", written, total-used)
	}
	clone := mem.CrashClone(vfs.CrashOptions{})
	g2, err := openVolume(clone)
	if err != nil {
		t.Fatal(err)
	}
	defer g2.close()
	got := make([]byte, volume.BlockSize)
	if err := g2.v.ReadBlocks(volume.FirstObject, 0, got); err != nil || !bytes.Equal(got, old) {
		t.Fatalf("after a crash before the commit, the freed block reads %x..., %v", got[:4], err)
	}
}

// TestFullDevice: when data takes every block, the allocator cannot open a
// segment; that is a refusal (ErrFull), not a failure: once data is freed
// and committed, small objects are stored again.
func TestFullDevice(t *testing.T) {
	mem := vfs.NewMem()
	newDevice(t, mem)
	g, err := openVolume(mem)
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	a := g.v.Allocator()
	tx := g.v.Begin()
	obj := uint64(volume.FirstObject)
	for ; ; obj++ {
		err := g.v.WriteBlocks(tx, obj, 0, make([]byte, 3*volume.BlockSize))
		if errors.Is(err, volume.ErrFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := g.v.Commit(tx); err != nil {
		t.Fatal(err)
	}
	tx = g.v.Begin()
	id, err := a.Alloc(tx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store(tx, id, make([]byte, 1000)); !errors.Is(err, volume.ErrFull) {
		t.Fatalf("storing with no block free for a segment: %v, want ErrFull", err)
	}
	if err := g.v.FreeBlocks(volume.FirstObject, 0, 3); err != nil {
		t.Fatal(err)
	}
	if err := g.v.Commit(tx); err != nil {
		t.Fatal(err)
	}
	// Three blocks are not a segment: free enough for one.
	tx = g.v.Begin()
	for o := uint64(volume.FirstObject + 1); o < volume.FirstObject+12; o++ {
		if err := g.v.FreeBlocks(o, 0, 3); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.v.Commit(tx); err != nil {
		t.Fatal(err)
	}
	tx = g.v.Begin()
	want := bytes.Repeat([]byte{7}, 1000)
	if _, err := a.Store(tx, id, want); err != nil {
		t.Fatalf("storing after data was freed: %v", err)
	}
	if err := g.v.Commit(tx); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Read(id); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("reading it back: %v", err)
	}
}
