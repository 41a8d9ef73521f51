package ssdalloc_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/mmio"
	"mapstore/ssdalloc"
)

// ioCounter counts the reads and writes of segment blocks (the device
// past the region), and the bytes written to the journal.
type ioCounter struct {
	devReads, devWrites, journalBytes atomic.Int64
}

func (c *ioCounter) MaybeError(op vfs.Op) error {
	dev, jnl := strings.HasSuffix(op.Path, "/dev"), strings.HasSuffix(op.Path, "/journal")
	switch {
	case dev && op.Offset >= tSegOff && op.Kind == vfs.OpRead:
		c.devReads.Add(1)
	case dev && op.Offset >= tSegOff && op.Kind == vfs.OpWrite:
		c.devWrites.Add(1)
	case jnl && op.Kind == vfs.OpWrite:
		c.journalBytes.Add(int64(op.Len))
	}
	return nil
}

func (c *ioCounter) reset() {
	c.devReads.Store(0)
	c.devWrites.Store(0)
	c.journalBytes.Store(0)
}

// countedAlloc opens an allocator of the given layout on a crash FS whose
// I/O c counts.
func countedAlloc(t *testing.T, layout string) (*allocRig, *ioCounter) {
	t.Helper()
	mem := vfs.NewMem()
	newAllocDevice(t, mem)
	c := &ioCounter{}
	g, err := openAllocLayout(vfs.NewErrorFS(mem, c), layout)
	if err != nil {
		t.Fatal(err)
	}
	return g, c
}

// physicalRuns counts the runs of physically consecutive blocks that
// bytes [lo, hi) of a segment with blocks bl cover: the I/Os they take.
func physicalRuns(bl []int64, lo, hi int) int {
	n := 0
	for b := lo / ssdalloc.BlockSize; b*ssdalloc.BlockSize < hi; b++ {
		if b == lo/ssdalloc.BlockSize || bl[b] != bl[b-1]+ssdalloc.BlockSize {
			n++
		}
	}
	return n
}

func blocksOf(layout string, seg uint32) []int64 {
	if layout == scattered {
		return scatterBlocks(seg)
	}
	bl, _ := ssdalloc.ContiguousSpace{Off: tSegOff}.Segment(nil, seg)
	return bl
}

func object(id ssdalloc.ObjectID, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(uint64(id)*31 + uint64(i))
	}
	return b
}

// TestBatchWritesEachSegmentOnce: a batch's records are assembled in the
// head segment's image and reach the device at Commit, one write per run
// of physically consecutive blocks; until then reads are served from the
// image. A segment that fills is written out when the next one opens,
// and reads of it then come from the device, split at block boundaries.
func TestBatchWritesEachSegmentOnce(t *testing.T) {
	for _, layout := range []string{contiguous, scattered} {
		t.Run(layout, func(t *testing.T) {
			g, c := countedAlloc(t, layout)
			defer g.close()
			model := map[ssdalloc.ObjectID][]byte{}
			var locs []ssdalloc.Location
			var ids []ssdalloc.ObjectID
			end := 32 // segment header
			batch := func(n int) {
				t.Helper()
				c.reset()
				tx := g.j.Begin()
				start := end
				for i := 0; i < n; i++ {
					id, err := g.d.Alloc(tx, 100)
					if err != nil {
						t.Fatal(err)
					}
					model[id] = object(id, 100)
					loc, err := g.d.Store(tx, id, model[id])
					if err != nil {
						t.Fatal(err)
					}
					if loc.Seg != 0 {
						t.Fatalf("object %d in segment %d", i, loc.Seg)
					}
					locs = append(locs, loc)
					ids = append(ids, id)
					end = int(loc.Off) + 112
				}
				if err := checkObjects(g.d, model); err != nil {
					t.Fatal(err)
				}
				if w, r := c.devWrites.Load(), c.devReads.Load(); w != 0 || r != 0 {
					t.Fatalf("%d device writes and %d reads before the commit", w, r)
				}
				if err := g.d.Commit(g.j, tx); err != nil {
					t.Fatal(err)
				}
				want := physicalRuns(blocksOf(layout, 0), start, end)
				if w := c.devWrites.Load(); w != int64(want) {
					t.Fatalf("commit of bytes [%d, %d): %d device writes, want %d", start, end, w, want)
				}
			}
			batch(150) // blocks 0-4
			batch(150) // blocks 4-8
			// Fill segment 0 so a new head opens: segment 0 is then read
			// from the device.
			tx := g.j.Begin()
			for {
				id, err := g.d.Alloc(tx, 3000)
				if err != nil {
					t.Fatal(err)
				}
				model[id] = object(id, 3000)
				loc, err := g.d.Store(tx, id, model[id])
				if err != nil {
					t.Fatal(err)
				}
				if loc.Seg != 0 {
					break
				}
			}
			if err := g.d.Commit(g.j, tx); err != nil {
				t.Fatal(err)
			}
			bl := blocksOf(layout, 0)
			split := 0
			for i, loc := range locs {
				c.reset()
				got, err := g.d.Read(ids[i])
				if err != nil || !bytes.Equal(got, model[ids[i]]) {
					t.Fatalf("object %d: %v", ids[i], err)
				}
				want := physicalRuns(bl, int(loc.Off), int(loc.Off)+112)
				if r := c.devReads.Load(); r != int64(want) {
					t.Fatalf("reading bytes [%d, %d): %d device reads, want %d", loc.Off, loc.Off+112, r, want)
				}
				if want > 1 {
					split++
				}
			}
			if layout == scattered && split == 0 {
				t.Fatal("no record crossed a break between block runs")
			}
		})
	}
}

// TestSlotRecordsCoalesce: a batch's slot changes reach the journal as
// few byte ranges: consecutive slots as one range, and no page with so
// many ranges that it is journaled whole.
func TestSlotRecordsCoalesce(t *testing.T) {
	g, c := countedAlloc(t, contiguous)
	defer g.close()
	tx := g.j.Begin()
	var ids []ssdalloc.ObjectID
	for i := 0; i < 200; i++ {
		id, err := g.d.Alloc(tx, 100)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.d.Store(tx, id, object(id, 100)); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	c.reset()
	if err := g.d.Commit(g.j, tx); err != nil {
		t.Fatal(err)
	}
	// 1,600 bytes of slot records and two directory records: one 16-byte
	// entry per range would make 200 slot records alone 4,800 bytes.
	if n := c.journalBytes.Load(); n > 2048 {
		t.Fatalf("creating 200 objects journaled %d bytes", n)
	}
	// Rewrite every tenth object: 20 slot records 72 bytes apart in one
	// page. As 20 ranges, mmio would journal the whole page (4 KiB).
	tx = g.j.Begin()
	for i := 0; i < len(ids); i += 10 {
		if _, err := g.d.Store(tx, ids[i], object(ids[i]+1, 100)); err != nil {
			t.Fatal(err)
		}
	}
	c.reset()
	if err := g.d.Commit(g.j, tx); err != nil {
		t.Fatal(err)
	}
	if n := c.journalBytes.Load(); n > 2048 {
		t.Fatalf("rewriting 20 objects of one page journaled %d bytes", n)
	}
}

// TestLoadChecks: a metadata area that contradicts itself, or a live
// record in a segment the Space has no blocks for, fails the load with
// ErrCorrupt (and, for the latter, ErrNoSegment).
func TestLoadChecks(t *testing.T) {
	slotOff := func(i int64) int64 { return ssdalloc.MetaSize(i) }
	word := func(seg, off, n uint64) uint64 { return 3 | n<<2 | off/4<<19 | seg<<34 }
	for _, c := range []struct {
		name   string
		off    int64
		word   uint64
		noSeg  bool
		layout string
	}{
		{name: "unknown state", off: slotOff(1), word: 2},
		{name: "segment out of range", off: slotOff(1), word: word(tSegments, 32, 10)},
		{name: "record past the segment", off: slotOff(1), word: word(0, ssdalloc.SegmentSize-8, 10)},
		{name: "larger than its class", off: slotOff(1), word: word(0, 4096, 600)},
		{name: "overlapping records", off: slotOff(1), word: word(0, 32+40, 100)},
		{name: "free slot with a location", off: slotOff(5), word: 4},
		{name: "segment without blocks", off: tMapOff, word: 0, noSeg: true, layout: scattered},
	} {
		t.Run(c.name, func(t *testing.T) {
			layout := c.layout
			if layout == "" {
				layout = contiguous
			}
			mem, g := memAllocLayout(t, layout)
			tx := g.j.Begin()
			for i := 0; i < 3; i++ {
				id, err := g.d.Alloc(tx, 100)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := g.d.Store(tx, id, object(id, 100)); err != nil {
					t.Fatal(err)
				}
			}
			if err := g.d.Commit(g.j, tx); err != nil {
				t.Fatal(err)
			}
			// Damage the metadata through the journal, as a bug would.
			tx = g.j.Begin()
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], c.word)
			if c.noSeg {
				if _, err := tx.WriteAt(b[:1], c.off); err != nil {
					t.Fatal(err)
				}
			} else if _, err := tx.WriteAt(b[:], c.off); err != nil {
				t.Fatal(err)
			}
			if err := g.j.Commit(tx); err != nil {
				t.Fatal(err)
			}
			g.close()
			g2, err := openAllocLayout(mem, layout)
			if err == nil {
				g2.close()
				t.Fatal("the damaged allocator loaded")
			}
			if !errors.Is(err, ssdalloc.ErrCorrupt) || c.noSeg && !errors.Is(err, ssdalloc.ErrNoSegment) {
				t.Fatalf("load: %v", err)
			}
		})
	}
}

// TestMakeRoomKeepsFreeSegments: with cleaning ahead of every batch, a
// small log under random rewrites always has room
// for the next batch: no batch finds the log full and commits early, so
// there is exactly one journal commit per batch.
func TestMakeRoomKeepsFreeSegments(t *testing.T) {
	g, _ := countedAlloc(t, contiguous)
	defer g.close()
	c, err := ssdalloc.NewCache(g.d, 64<<10, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	// 300 objects of 300 bytes (312 with the header): 0.7 of the 6
	// segments live.
	var ids []ssdalloc.ObjectID
	tx := g.j.Begin()
	for i := 0; i < 300; i++ {
		id, err := g.d.Alloc(tx, 300)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.d.Store(tx, id, object(id, 300)); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := g.d.Commit(g.j, tx); err != nil {
		t.Fatal(err)
	}
	model := map[ssdalloc.ObjectID][]byte{}
	commits := g.j.Stats().Commits
	const batches, perBatch = 300, 60
	for b := 0; b < batches; b++ {
		tx := g.j.Begin()
		for i := 0; i < perBatch; i++ {
			id := ids[rng.IntN(len(ids))]
			model[id] = object(id+ssdalloc.ObjectID(b), 300)
			c.Put(id, model[id])
		}
		if tx, err = c.Flush(g.j, tx); err != nil {
			t.Fatal(err)
		}
		if err := g.d.Commit(g.j, tx); err != nil {
			t.Fatal(err)
		}
	}
	if n := g.j.Stats().Commits - commits; n != batches {
		t.Fatalf("%d commits for %d batches: the log filled up mid-batch", n, batches)
	}
	for id, want := range model {
		if got, err := g.d.Read(id); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("object %d: %v", id, err)
		}
	}
	if g.d.Allocator().Log().FreeSegments() < 2 {
		t.Fatalf("%d free segments left", g.d.Allocator().Log().FreeSegments())
	}
}

// TestCleanDetectsCorruption: cleaning skips dead records unchecked, so a
// damaged header must still not make it miss a live record (the victim
// would be freed with it), and a damaged live record must not be moved.
func TestCleanDetectsCorruption(t *testing.T) {
	for _, c := range []struct {
		name string
		pos  func(dead, live ssdalloc.Location) int64
	}{
		{"dead record's length", func(dead, _ ssdalloc.Location) int64 { return int64(dead.Off) }},
		{"dead record's tag", func(dead, _ ssdalloc.Location) int64 { return int64(dead.Off) + 3 }},
		{"live record's data", func(_, live ssdalloc.Location) int64 { return int64(live.Off) + 20 }},
		{"live record's back pointer", func(_, live ssdalloc.Location) int64 { return int64(live.Off) + 4 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			g, _ := countedAlloc(t, contiguous)
			defer g.close()
			// Fill segment 0 and open segment 1, then rewrite all but
			// the last object of segment 0.
			tx := g.j.Begin()
			var ids []ssdalloc.ObjectID
			var locs []ssdalloc.Location
			for {
				id, err := g.d.Alloc(tx, 1000)
				if err != nil {
					t.Fatal(err)
				}
				loc, err := g.d.Store(tx, id, object(id, 1000))
				if err != nil {
					t.Fatal(err)
				}
				if loc.Seg != 0 {
					break
				}
				ids = append(ids, id)
				locs = append(locs, loc)
			}
			last := len(ids) - 1
			for _, id := range ids[:last] {
				if _, err := g.d.Store(tx, id, object(id+1, 1000)); err != nil {
					t.Fatal(err)
				}
			}
			if err := g.d.Commit(g.j, tx); err != nil {
				t.Fatal(err)
			}
			// Damage segment 0 (contiguous: at tSegOff) behind the
			// allocator's back.
			at := tSegOff + c.pos(locs[last-1], locs[last])
			var b [1]byte
			if _, err := g.dev.ReadAt(b[:], at); err != nil {
				t.Fatal(err)
			}
			b[0] ^= 0x10
			if _, err := g.dev.WriteAt(b[:], at); err != nil {
				t.Fatal(err)
			}
			tx = g.j.Begin()
			if v := g.d.Allocator().Log().Victims(1); len(v) != 1 || v[0] != 0 {
				t.Fatalf("victims %v, want segment 0", v)
			}
			if n, err := g.d.Clean(tx); !errors.Is(err, ssdalloc.ErrCorrupt) {
				t.Fatalf("cleaning the damaged segment: moved %d, %v", n, err)
			}
			tx.Rollback()
		})
	}
}

// TestMappedReads: when the region maps a ContiguousSpace's segments too
// (mmio.Map over the whole file), records are read out of the mapping,
// with no read system call, and the mapping shows what was written to the
// file straight through it, including rewrites. With another Space the
// region may hold private copies of blocks it hands out, so records are
// read from the file.
func TestMappedReads(t *testing.T) {
	for _, layout := range []string{contiguous, scattered} {
		t.Run(layout, func(t *testing.T) { mappedReads(t, layout) })
	}
}

func mappedReads(t *testing.T, layout string) {
	c := &ioCounter{}
	fs := vfs.NewErrorFS(vfs.NewOSFS(), c)
	dir := t.TempDir()
	dev, err := fs.Create(dir + "/dev")
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if err := dev.Truncate(tDev); err != nil {
		t.Fatal(err)
	}
	r, err := mmio.Map(dev, mmio.Options{})
	if errors.Is(err, mmio.ErrNoMmap) {
		t.Skip(err)
	} else if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	j, err := journal.Open(fs, dir+"/journal", r, journal.Options{Size: 1 << 20, InlineCheckpoint: true})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	var space ssdalloc.Space = ssdalloc.ContiguousSpace{Off: tSegOff}
	if layout == scattered {
		space = scatterSpace{r}
	}
	d, err := ssdalloc.LoadAllocator(r, 0, tMeta, space, tSegments)
	if err != nil {
		t.Fatal(err)
	}
	model := map[ssdalloc.ObjectID][]byte{}
	for round := 0; round < 3; round++ {
		tx := j.Begin()
		if round == 0 {
			for i := 0; i < 300; i++ {
				id, err := d.Alloc(tx, 900)
				if err != nil {
					t.Fatal(err)
				}
				model[id] = nil
			}
		}
		for id := range model {
			model[id] = object(id+ssdalloc.ObjectID(round), 900)
			if _, err := d.Store(tx, id, model[id]); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.Commit(j, tx); err != nil {
			t.Fatal(err)
		}
		c.reset()
		if err := checkObjects(d, model); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if n := c.devReads.Load(); (n == 0) != (layout == contiguous) {
			t.Fatalf("round %d: %d reads of the device", round, n)
		}
	}
}
