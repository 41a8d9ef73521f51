package ssdalloc_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/mmio"
	"mapstore/ssdalloc"
)

const (
	tSlots    = 8192
	tSegments = 6
	tBlocks   = ssdalloc.SegmentSize / ssdalloc.BlockSize
)

// The test device: the allocator's metadata, a page for scatterSpace's
// segment map (the two make up the region), then the segments' blocks.
var (
	tMeta   = (ssdalloc.MetaSize(tSlots) + mmio.PageSize - 1) / mmio.PageSize * mmio.PageSize
	tMapOff = tMeta
	tRegion = tMeta + mmio.PageSize
	tSegOff = tRegion
	tDev    = tSegOff + tSegments*ssdalloc.SegmentSize
)

// Layouts of the segments on the test device.
const (
	contiguous = "contiguous" // ssdalloc.ContiguousSpace
	scattered  = "scattered"  // scatterSpace
)

// scatterSpace places segments block by block: the block area is cut into
// runs of scatterRun blocks, laid out in reverse order, so a segment's
// blocks are consecutive on the device only within a run (records that
// cross a block boundary take one I/O there, two elsewhere, and the
// segment header's block is not the first one). Like a real layout layer
// it gives a segment its blocks when first asked with a transaction, and
// remembers that in the region (a byte per segment, written through tx);
// asked with tx nil for a segment it never gave blocks, it fails.
type scatterSpace struct{ r *mmio.Region }

const scatterRun = 3

func (s scatterSpace) Segment(tx *mmio.Tx, seg uint32) ([]int64, error) {
	if seg >= tSegments {
		return nil, fmt.Errorf("segment %d of %d: %w", seg, tSegments, ssdalloc.ErrNoSegment)
	}
	var flag [1]byte
	read := s.r.ReadAt
	if tx != nil {
		read = tx.ReadAt
	}
	if _, err := read(flag[:], tMapOff+int64(seg)); err != nil {
		return nil, err
	}
	if flag[0] == 0 {
		if tx == nil {
			return nil, fmt.Errorf("segment %d: %w", seg, ssdalloc.ErrNoSegment)
		}
		if _, err := tx.WriteAt([]byte{1}, tMapOff+int64(seg)); err != nil {
			return nil, err
		}
	}
	return scatterBlocks(seg), nil
}

func scatterBlocks(seg uint32) []int64 {
	runs := (tSegments*tBlocks + scatterRun - 1) / scatterRun
	out := make([]int64, tBlocks)
	for i := range out {
		g := int(seg)*tBlocks + i
		phys := (runs-1-g/scatterRun)*scatterRun + g%scatterRun
		out[i] = tSegOff + int64(phys)*ssdalloc.BlockSize
	}
	return out
}

type allocRig struct {
	dev vfs.File
	r   *mmio.Region
	j   *journal.Journal
	d   *ssdalloc.DurableAllocator
}

func (g *allocRig) close() {
	if g.j != nil {
		g.j.Close()
	}
	if g.r != nil {
		g.r.Close()
	}
	if g.dev != nil {
		g.dev.Close()
	}
}

func newAllocDevice(t *testing.T, fs vfs.FS) {
	f, err := fs.Create("/dev")
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(tDev)
	f.Sync()
	f.Close()
	fs.SyncDir("/")
}

// memAlloc is a crash FS with an empty device and an allocator open on it.
func memAlloc(t *testing.T) (*vfs.MemFS, *allocRig) {
	t.Helper()
	return memAllocLayout(t, contiguous)
}

func memAllocLayout(t *testing.T, layout string) (*vfs.MemFS, *allocRig) {
	t.Helper()
	mem := vfs.NewMem()
	newAllocDevice(t, mem)
	g, err := openAllocLayout(mem, layout)
	if err != nil {
		t.Fatal(err)
	}
	return mem, g
}

func openAlloc(fs vfs.FS) (*allocRig, error) { return openAllocLayout(fs, contiguous) }

func openAllocLayout(fs vfs.FS, layout string) (*allocRig, error) {
	g := &allocRig{}
	var err error
	if g.dev, err = fs.OpenReadWrite("/dev"); err != nil {
		return nil, err
	}
	if g.r, err = mmio.NewBuffered(g.dev, mmio.Options{Size: tRegion}); err != nil {
		g.close()
		return nil, err
	}
	if g.j, err = journal.Open(fs, "/journal", g.r, journal.Options{Size: 1 << 20, InlineCheckpoint: true}); err != nil {
		g.j = nil
		g.close()
		return nil, err
	}
	var space ssdalloc.Space = ssdalloc.ContiguousSpace{Off: tSegOff}
	if layout == scattered {
		space = scatterSpace{g.r}
	}
	if g.d, err = ssdalloc.LoadAllocator(g.r, 0, tMeta, space, tSegments); err != nil {
		g.close()
		return nil, err
	}
	return g, nil
}

// objects reads every object of the model back, returning the first
// difference.
func checkObjects(d *ssdalloc.DurableAllocator, model map[ssdalloc.ObjectID][]byte) error {
	for id, want := range model {
		got, err := d.Read(id)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return errors.New("object contents differ")
		}
	}
	// Scan must visit exactly the model's objects, once each, byte-exact.
	seen := make(map[ssdalloc.ObjectID]bool, len(model))
	err := d.Scan(func(id ssdalloc.ObjectID, data []byte) error {
		want, ok := model[id]
		switch {
		case !ok:
			return fmt.Errorf("scan found object %d, which is not stored", id)
		case seen[id]:
			return fmt.Errorf("scan found object %d twice", id)
		case !bytes.Equal(data, want):
			return fmt.Errorf("scan: object %d contents differ", id)
		}
		seen[id] = true
		return nil
	})
	if err != nil {
		return err
	}
	if len(seen) != len(model) {
		return fmt.Errorf("scan found %d objects, %d are stored", len(seen), len(model))
	}
	return nil
}

// TestAllocatorCrashAtEveryPoint runs batches of allocations, stores,
// rewrites, frees and cleanings, one commit each, and crashes (random
// survival of unsynced blocks, torn last write) before every file
// operation: after recovery the allocator loads (its checks include no
// two live records sharing bytes, and blocks for every segment holding a
// live record), and the objects are exactly those of the last
// acknowledged batch or of the batch in flight, byte-exact. It runs on
// both layouts: contiguous segments, and segments scattered block by
// block (records split at block boundaries; segments given blocks in the
// batch that opens them).
//
// MAPSTORE_SSDALLOC_CRASH_BATCHES sets the batches per layout (default
// 400, 250 under the race detector).
func TestAllocatorCrashAtEveryPoint(t *testing.T) {
	batches := envInt("MAPSTORE_SSDALLOC_CRASH_BATCHES", 400)
	if raceEnabled {
		batches = envInt("MAPSTORE_SSDALLOC_CRASH_BATCHES", 250)
	}
	for _, layout := range []string{contiguous, scattered} {
		t.Run(layout, func(t *testing.T) { crashAtEveryPoint(t, layout, batches) })
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func crashAtEveryPoint(t *testing.T, layout string, batches int) {
	mem := vfs.NewMem()
	newAllocDevice(t, mem)
	rng := rand.New(rand.NewPCG(21, 22))
	crashRng := rand.New(rand.NewPCG(23, 24))
	prev := map[ssdalloc.ObjectID][]byte{}
	next := prev
	points, batch := 0, 0
	check := func(op vfs.Op) {
		clone := mem.CrashClone(vfs.CrashOptions{Rand: crashRng, UnsyncedBlockSurvival: 0.5, TornLastWrite: true})
		g, err := openAllocLayout(clone, layout)
		if err != nil {
			t.Fatalf("crash before %v in batch %d: recovery: %v", op, batch, err)
		}
		defer g.close()
		errPrev := checkObjects(g.d, prev)
		errNext := checkObjects(g.d, next)
		if errPrev != nil && errNext != nil {
			t.Fatalf("crash before %v in batch %d: recovered objects are neither the acknowledged ones (%v) nor with the batch in flight (%v)",
				op, batch, errPrev, errNext)
		}
		// Objects of neither model must not be readable: check that the
		// count of stored objects matches one of them.
		n := countStored(g.d)
		if n != len(prev) && n != len(next) {
			t.Fatalf("crash before %v in batch %d: %d stored objects, want %d or %d", op, batch, n, len(prev), len(next))
		}
	}
	fs := vfs.NewErrorFS(mem, vfs.InjectorFunc(func(op vfs.Op) error {
		if op.Kind.Mutates() {
			points++
			check(op)
		}
		return nil
	}))
	g, err := openAllocLayout(fs, layout)
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	cur := map[ssdalloc.ObjectID][]byte{}
	var ids []ssdalloc.ObjectID
	data := func() []byte {
		d := make([]byte, 1+rng.IntN(2000))
		for i := range d {
			d[i] = byte(rng.Uint32())
		}
		return d
	}
	cleanings := 0
	for batch = 0; batch < batches; batch++ {
		tx := g.j.Begin()
		cleaned := false
	ops:
		for n := 1 + rng.IntN(16); n > 0; n-- {
			free := g.d.Allocator().Log().FreeSegments()
			switch op := rng.IntN(10); {
			case free <= 2 && cleaned:
				break ops // the segments this batch emptied free up at its commit
			case free <= 2:
				if _, err := g.d.Clean(tx); err != nil {
					t.Fatal(err)
				}
				cleanings++
				cleaned = true
				// Keep writing in this batch until a new head segment
				// opens: the segment cleaning just emptied must not be
				// the one (a crash before the commit would find its
				// committed records written over).
				for head, k := -1, 0; k < 200 && len(ids) > 0 && g.d.Allocator().Log().FreeSegments() >= 2; k++ {
					id := ids[rng.IntN(len(ids))]
					b := make([]byte, len(cur[id])) // same size: the live bytes stay put
					copy(b, data())
					loc, err := g.d.Store(tx, id, b)
					if err != nil {
						t.Fatal(err)
					}
					cur[id] = b
					if head >= 0 && int(loc.Seg) != head {
						break
					}
					head = int(loc.Seg)
				}
			case op < 4 && len(ids) < 400 || len(ids) == 0:
				b := data()
				id, err := g.d.Alloc(tx, len(b))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := g.d.Store(tx, id, b); errors.Is(err, ssdalloc.ErrLogFull) {
					// Allocated, never stored: still an object of the
					// model? No: it has no contents to check. Free it.
					if err := g.d.Free(tx, id); err != nil {
						t.Fatal(err)
					}
					break ops
				} else if err != nil {
					t.Fatal(err)
				}
				cur[id] = b
				ids = append(ids, id)
			case op < 7:
				id := ids[rng.IntN(len(ids))]
				c, _ := g.d.Allocator().Class(id)
				b := make([]byte, 1+rng.IntN((c+1)*ssdalloc.ClassStep))
				copy(b, data())
				if _, err := g.d.Store(tx, id, b); errors.Is(err, ssdalloc.ErrLogFull) {
					break ops
				} else if err != nil {
					t.Fatal(err)
				}
				cur[id] = b
			default:
				i := rng.IntN(len(ids))
				id := ids[i]
				ids[i] = ids[len(ids)-1]
				ids = ids[:len(ids)-1]
				if err := g.d.Free(tx, id); err != nil {
					t.Fatal(err)
				}
				delete(cur, id)
			}
		}
		// Reads in the batch come from the head segment's image where
		// the records are not written yet.
		if err := checkObjects(g.d, cur); err != nil {
			t.Fatalf("batch %d before its commit: %v", batch, err)
		}
		next = cloneModel(cur)
		if err := g.d.Commit(g.j, tx); err != nil {
			t.Fatal(err)
		}
		prev = next
	}
	if err := checkObjects(g.d, cur); err != nil {
		t.Fatal(err)
	}
	if cleanings == 0 || points < 2*batches {
		t.Fatalf("thin workload: %d cleanings, %d crash points", cleanings, points)
	}
	t.Logf("%d crash points, %d objects, %d cleanings", points, len(cur), cleanings)
}

func cloneModel(m map[ssdalloc.ObjectID][]byte) map[ssdalloc.ObjectID][]byte {
	out := make(map[ssdalloc.ObjectID][]byte, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func countStored(d *ssdalloc.DurableAllocator) int { return d.Allocator().Stored() }

// TestEmptiedSegmentNotReusedBeforeCommit: records are written straight
// to the device, so a segment whose records all died in a batch that is
// not yet committed must not be written over: a crash would bring those
// records back as the live ones.
func TestEmptiedSegmentNotReusedBeforeCommit(t *testing.T) {
	mem, g := memAlloc(t)
	defer g.close()
	obj := bytes.Repeat([]byte("x"), 1000)
	model := map[ssdalloc.ObjectID][]byte{}
	tx := g.j.Begin()
	var first []ssdalloc.ObjectID
	for i := 0; i < 140; i++ { // fills segment 0 and starts another
		id, err := g.d.Alloc(tx, len(obj))
		if err != nil {
			t.Fatal(err)
		}
		b := append([]byte(nil), obj...)
		b[0] = byte(i)
		if _, err := g.d.Store(tx, id, b); err != nil {
			t.Fatal(err)
		}
		model[id] = b
		first = append(first, id)
	}
	if err := g.d.Commit(g.j, tx); err != nil {
		t.Fatal(err)
	}
	// Free everything in the first segment, then write until a new
	// segment is opened, all in one batch that never commits.
	tx = g.j.Begin()
	seg0, _ := g.d.Allocator().Where(first[0])
	for _, id := range first {
		if loc, _ := g.d.Allocator().Where(id); loc.Seg == seg0.Seg {
			if err := g.d.Free(tx, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := 0; i < 200; i++ {
		id, err := g.d.Alloc(tx, len(obj))
		if err != nil {
			t.Fatal(err)
		}
		loc, err := g.d.Store(tx, id, obj)
		if err != nil {
			t.Fatal(err)
		}
		if loc.Seg == seg0.Seg {
			t.Fatalf("segment %d, emptied by an uncommitted batch, was written over", seg0.Seg)
		}
	}
	// A crash now must find the first batch intact.
	g2, err := openAlloc(mem.CrashClone(vfs.CrashOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	defer g2.close()
	if err := checkObjects(g2.d, model); err != nil {
		t.Fatalf("after a crash: %v", err)
	}
}
