package ssdalloc

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/mmio"
)

// Small-object benchmark shape (see BENCHMARKS.md, "Small objects"): 64 MiB
// of objects of one size, a DRAM budget of a tenth of that, uniformly
// random whole-object updates and reads half and half, a commit every 256
// updates, the two sides taking turns of equal time on their own files.
const (
	smallData      = 64 << 20               // object bytes
	smallBatch     = 256                    // updates per commit, both sides
	smallSlice     = 250 * time.Millisecond // ssdalloc's share of a round; the baseline gets as long
	smallUtil      = 0.25                   // live record bytes / segment area
	smallJournal   = 64 << 20               // both sides (the default size)
	smallPageShare = 0.1                    // of the cache budget, for the Page Buffer
	smallAgeBatch  = 4 << 20                // record bytes per commit while creating objects and aging the log
)

// The files of the benchmark; the write counter tells them apart by name.
const (
	fSSDDev = iota
	fSSDJournal
	fPageDev
	fPageJournal
	nFiles
)

var smallFileNames = [nFiles]string{"ssd-dev", "ssd-journal", "page-dev", "page-journal"}

// writeCounter is a vfs injector that fails nothing and adds up the bytes
// of every write (WriteAt and WriteV alike: Op.Len is the whole vector)
// per file.
type writeCounter struct{ bytes [nFiles]atomic.Int64 }

func (w *writeCounter) MaybeError(op vfs.Op) error {
	if op.Kind == vfs.OpWrite {
		base := filepath.Base(op.Path)
		for i, name := range smallFileNames {
			if base == name {
				w.bytes[i].Add(int64(op.Len))
			}
		}
	}
	return nil
}

func (w *writeCounter) snapshot() (s [nFiles]int64) {
	for i := range s {
		s[i] = w.bytes[i].Load()
	}
	return s
}

// stamp writes an object version: its id in the first 8 bytes (every
// read checks it), then a version counter.
func stamp(b []byte, id, v uint64) {
	binary.LittleEndian.PutUint64(b, id)
	if len(b) >= 16 {
		binary.LittleEndian.PutUint64(b[8:], v)
	}
}

// smallSide is one side of the comparison, open on its files for the
// whole benchmark.
type smallSide struct {
	dev     vfs.File
	r       *mmio.Region
	j       *journal.Journal
	devFile int // index of dev, then journal, in smallFileNames
	batch   func(rng *rand.Rand) error

	ops, updates  int64
	elapsed       time.Duration
	flush, commit time.Duration // ssdalloc: in Cache.Flush (cleaning and stores), in Commit
	// The journal bytes counted when the last checkpoint was seen, for
	// charging the final checkpoint pro rata.
	ckpts        int64
	ckptJournalB int64
}

func (s *smallSide) close() {
	if s.j != nil {
		s.j.Close()
	}
	if s.r != nil {
		s.r.Close()
	}
	if s.dev != nil {
		s.dev.Close()
	}
}

// run runs batches for at least d, then syncs the side's device, so that
// writes the kernel would otherwise keep in the page cache (the page
// baseline's home writes) are paid for in the turn that made them rather
// than slowing the other side's turn. It returns the time taken.
func (s *smallSide) run(b *testing.B, rng *rand.Rand, d time.Duration, wc *writeCounter) time.Duration {
	start := time.Now()
	for time.Since(start) < d {
		if err := s.batch(rng); err != nil {
			b.Fatal(err)
		}
		if n := s.j.Stats().Checkpoints; n != s.ckpts {
			s.ckpts = n
			s.ckptJournalB = wc.bytes[s.devFile+1].Load()
		}
	}
	if err := s.dev.Datasync(); err != nil {
		b.Fatal(err)
	}
	el := time.Since(start)
	s.elapsed += el
	return el
}

// finish checkpoints the side's journal and syncs its device, timed. It
// returns the bytes the checkpoint wrote and the fraction of a checkpoint
// interval (journal bytes since the last checkpoint over the checkpoint
// threshold) the run had used.
func (s *smallSide) finish(b *testing.B, wc *writeCounter) (ckptBytes int64, frac float64) {
	before := wc.snapshot()
	jb := before[s.devFile+1] - s.ckptJournalB
	start := time.Now()
	if err := s.j.Checkpoint(); err != nil {
		b.Fatal(err)
	}
	if err := s.dev.Datasync(); err != nil {
		b.Fatal(err)
	}
	s.elapsed += time.Since(start)
	after := wc.snapshot()
	for i := range after {
		ckptBytes += after[i] - before[i]
	}
	return ckptBytes, min(1, float64(jb)/(0.5*float64(smallJournal-2*mmio.PageSize)))
}

// BenchmarkSmallObjects compares ssdalloc (a Cache over a DurableAllocator)
// with a page-granular store (one object per 4 KiB page of an mmio region)
// for objects of 100 B, 1 KiB and 3 KiB. Each b.Loop iteration is a round:
// ssdalloc runs batches for smallSlice, then the baseline for as long, on
// the same files throughout. See BENCHMARKS.md for the workload and the
// metrics.
func BenchmarkSmallObjects(b *testing.B) {
	for _, size := range []int{100, 1024, 3072} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) { benchSmall(b, size) })
	}
}

func benchSmall(b *testing.B, size int) {
	n := smallData / size
	budget := int64(smallData / 10)
	dir := b.TempDir()
	wc := &writeCounter{}
	fs := vfs.NewErrorFS(vfs.NewOSFS(), wc)
	jopts := journal.Options{Size: smallJournal, InlineCheckpoint: true}

	ssd, d, c := newSSDSide(b, fs, dir, size, n, budget, jopts)
	defer ssd.close()
	page := newPageSide(b, fs, dir, size, n, budget, jopts)
	defer page.close()

	// Warm up both sides untimed: the cache and the baseline's private
	// pages fill, the journals carry records.
	rng := rand.New(rand.NewPCG(uint64(size), 1))
	for _, s := range []*smallSide{ssd, page} {
		s.run(b, rng, 2*smallSlice, wc)
		if err := s.j.Checkpoint(); err != nil {
			b.Fatal(err)
		}
		s.ops, s.updates, s.elapsed, s.flush, s.commit = 0, 0, 0, 0, 0
		s.ckpts = s.j.Stats().Checkpoints
	}
	start := wc.snapshot()
	ckpts0 := ssd.j.Stats().Checkpoints
	ssd.ckptJournalB, page.ckptJournalB = start[fSSDJournal], start[fPageJournal]
	moved0 := d.moved
	stats0 := c.Stats()
	commits0 := ssd.j.Stats().Commits
	rounds := 0
	for b.Loop() {
		page.run(b, rng, ssd.run(b, rng, smallSlice, wc), wc)
		rounds++
	}
	mid := wc.snapshot()
	mid2 := struct{ commits, ckpts int64 }{ssd.j.Stats().Commits, ssd.j.Stats().Checkpoints}
	ssdCkpt, ssdFrac := ssd.finish(b, wc)
	pageCkpt, pageFrac := page.finish(b, wc)

	written := func(s *smallSide, ckpt int64, frac float64) (pro, full float64) {
		w := float64(mid[s.devFile]-start[s.devFile]) + float64(mid[s.devFile+1]-start[s.devFile+1])
		obj := float64(s.updates) * float64(size)
		return (w + frac*float64(ckpt)) / obj, (w + float64(ckpt)) / obj
	}
	ssdPro, ssdFull := written(ssd, ssdCkpt, ssdFrac)
	pagePro, _ := written(page, pageCkpt, pageFrac)
	ssdRate := float64(ssd.ops) / ssd.elapsed.Seconds()
	pageRate := float64(page.ops) / page.elapsed.Seconds()
	b.ReportMetric(ssdPro, "ssd-bytes/byte")
	b.ReportMetric(pagePro, "page-bytes/byte")
	b.ReportMetric(ssdFull, "ssd-fullckpt-bytes/byte")
	b.ReportMetric(ssdRate, "ssd-ops/s")
	b.ReportMetric(pageRate, "page-ops/s")
	b.ReportMetric(ssdRate/pageRate, "ratio")

	per := func(f int, s *smallSide) float64 { return float64(mid[f]-start[f]) / float64(s.updates) }
	st := c.Stats()
	live := 0
	for seg := range d.a.log.segs {
		live += d.a.log.Live(uint32(seg))
	}
	b.Logf("%d rounds; ssdalloc %d updates in %v (flushing %v, committing %v), baseline %d in %v", rounds,
		ssd.updates, ssd.elapsed.Round(time.Millisecond), ssd.flush.Round(time.Millisecond), ssd.commit.Round(time.Millisecond),
		page.updates, page.elapsed.Round(time.Millisecond))
	b.Logf("bytes per update: ssdalloc device %.1f, journal %.1f, final checkpoint %d B x %.2f of an interval (%.1f); baseline device %.1f, journal %.1f, final checkpoint %d B x %.2f",
		per(fSSDDev, ssd), per(fSSDJournal, ssd), ssdCkpt, ssdFrac, ssdFrac*float64(ssdCkpt)/float64(ssd.updates),
		per(fPageDev, page), per(fPageJournal, page), pageCkpt, pageFrac)
	b.Logf("ssdalloc: log %d segments, utilization %.2f, %d free; cleaning moved %.3f records per update; cache hits %.2f of reads; %d commits for %d batches; %d checkpoints in the run",
		len(d.a.log.segs), float64(live)/float64(len(d.a.log.segs)*SegmentSize), d.a.log.FreeSegments(),
		float64(d.moved-moved0)/float64(ssd.updates),
		float64(st.PageHits+st.ObjectHits-stats0.PageHits-stats0.ObjectHits)/float64(st.PageHits+st.ObjectHits+st.DeviceReads-stats0.PageHits-stats0.ObjectHits-stats0.DeviceReads),
		mid2.commits-commits0, ssd.updates/smallBatch, mid2.ckpts-ckpts0)
}

// newSSDSide creates n objects in a DurableAllocator whose log runs at
// smallUtil, ages the log (random updates until a log's worth of records
// has been written, so cleaning is in its steady state), and puts a
// Cache of budget bytes in front.
func newSSDSide(b *testing.B, fs vfs.FS, dir string, size, n int, budget int64, jopts journal.Options) (*smallSide, *DurableAllocator, *Cache) {
	s := &smallSide{devFile: fSSDDev}
	nseg := int(float64(n)*float64(recordSpan(size))/smallUtil/SegmentSize) + 1
	meta := (MetaSize(int64(n)+2*maxTableSlots) + mmio.PageSize - 1) / mmio.PageSize * mmio.PageSize
	var err error
	if s.dev, err = fs.Create(filepath.Join(dir, smallFileNames[fSSDDev])); err != nil {
		b.Fatal(err)
	}
	if err := s.dev.Allocate(0, meta+int64(nseg)*SegmentSize); err != nil {
		b.Fatal(err)
	}
	if err := s.dev.Sync(); err != nil {
		b.Fatal(err)
	}
	// The region maps the whole file: the metadata is written through
	// it, and records are read out of its mapping (see segIO).
	if s.r, err = mmio.Map(s.dev, mmio.Options{}); err != nil {
		b.Fatal(err)
	}
	s.j = openWrittenJournal(b, fs, filepath.Join(dir, smallFileNames[fSSDJournal]), s.r, jopts)
	d, err := LoadAllocator(s.r, 0, meta, ContiguousSpace{Off: meta}, nseg)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]ObjectID, n)
	tx := s.j.Begin()
	obj := make([]byte, size)
	per := smallAgeBatch / recordSpan(size)
	for i := range ids {
		if ids[i], err = d.Alloc(tx, size); err != nil {
			b.Fatal(err)
		}
		stamp(obj, uint64(ids[i]), 0)
		if _, err := d.Store(tx, ids[i], obj); err != nil {
			b.Fatal(err)
		}
		if i%per == per-1 || i == n-1 {
			if err := d.Commit(s.j, tx); err != nil {
				b.Fatal(err)
			}
			tx = s.j.Begin()
		}
	}
	rng := rand.New(rand.NewPCG(uint64(size), 2))
	for written := 0; written < nseg*SegmentSize; written += per * recordSpan(size) {
		if _, err := d.MakeRoom(tx, per*recordSpan(size)); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < per; i++ {
			id := ids[rng.IntN(n)]
			stamp(obj, uint64(id), 0)
			if _, err := d.Store(tx, id, obj); err != nil {
				b.Fatal(err)
			}
		}
		if err := d.Commit(s.j, tx); err != nil {
			b.Fatal(err)
		}
		tx = s.j.Begin()
	}
	c, err := NewCache(d, int(budget), smallPageShare)
	if err != nil {
		b.Fatal(err)
	}
	version := uint64(0)
	s.batch = func(rng *rand.Rand) error {
		for upd := 0; upd < smallBatch; {
			id := ids[rng.IntN(n)]
			s.ops++
			if rng.IntN(2) == 0 {
				got, err := c.Get(id)
				if err != nil {
					return err
				}
				if binary.LittleEndian.Uint64(got) != uint64(id) {
					return fmt.Errorf("object %d reads back as %d", id, binary.LittleEndian.Uint64(got))
				}
				continue
			}
			version++
			data := make([]byte, size)
			stamp(data, uint64(id), version)
			c.Put(id, data)
			upd++
		}
		s.updates += smallBatch
		t0 := time.Now()
		var err error
		if tx, err = c.Flush(s.j, tx); err != nil {
			return err
		}
		t1 := time.Now()
		if err := d.Commit(s.j, tx); err != nil {
			return err
		}
		s.flush += t1.Sub(t0)
		s.commit += time.Since(t1)
		tx = s.j.Begin()
		return nil
	}
	return s, d, c
}

// newPageSide creates n objects, one per 4 KiB page (the rest of the page
// zero), in a file mapped as a region with the same DRAM budget.
func newPageSide(b *testing.B, fs vfs.FS, dir string, size, n int, budget int64, jopts journal.Options) *smallSide {
	s := &smallSide{devFile: fPageDev}
	var err error
	if s.dev, err = fs.Create(filepath.Join(dir, smallFileNames[fPageDev])); err != nil {
		b.Fatal(err)
	}
	devSize := int64(n) * mmio.PageSize
	if err := s.dev.Allocate(0, devSize); err != nil {
		b.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for off := int64(0); off < devSize; off += int64(len(chunk)) {
		w := chunk[:min(int64(len(chunk)), devSize-off)]
		for p := 0; p < len(w); p += mmio.PageSize {
			stamp(w[p:p+size], uint64((off+int64(p))/mmio.PageSize), 0)
		}
		if _, err := s.dev.WriteAt(w, off); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.dev.Sync(); err != nil {
		b.Fatal(err)
	}
	if s.r, err = mmio.Map(s.dev, mmio.Options{Budget: budget, Policy: mmio.FullRecycling}); err != nil {
		b.Fatal(err)
	}
	s.j = openWrittenJournal(b, fs, filepath.Join(dir, smallFileNames[fPageJournal]), s.r, jopts)
	tx := s.j.Begin()
	buf := make([]byte, size)
	version := uint64(0)
	s.batch = func(rng *rand.Rand) error {
		for upd := 0; upd < smallBatch; {
			id := rng.IntN(n)
			off := int64(id) * mmio.PageSize
			s.ops++
			if rng.IntN(2) == 0 {
				if _, err := s.r.ReadAt(buf, off); err != nil {
					return err
				}
				if binary.LittleEndian.Uint64(buf) != uint64(id) {
					return fmt.Errorf("page %d reads back as %d", id, binary.LittleEndian.Uint64(buf))
				}
				continue
			}
			version++
			stamp(buf, uint64(id), version)
			if _, err := tx.WriteAt(buf, off); err != nil {
				return err
			}
			upd++
		}
		s.updates += smallBatch
		if err := s.j.Commit(tx); err != nil {
			return err
		}
		tx = s.j.Begin()
		return nil
	}
	return s
}

// openWrittenJournal opens a new journal whose record area has been
// written once, as in a journal that has wrapped around: a freshly
// formatted journal file is preallocated, and the first write to each of
// its blocks makes fdatasync commit the file system's own journal too,
// which would charge a side that writes little to its journal (it would
// not wrap during the run) with a cost the other side pays only briefly.
func openWrittenJournal(b *testing.B, fs vfs.FS, name string, r *mmio.Region, opts journal.Options) *journal.Journal {
	j, err := journal.Open(fs, name, r, opts)
	if err != nil {
		b.Fatal(err)
	}
	if err := j.Close(); err != nil {
		b.Fatal(err)
	}
	f, err := fs.OpenReadWrite(name)
	if err != nil {
		b.Fatal(err)
	}
	zero := make([]byte, 1<<20)
	for off := int64(2 * mmio.PageSize); off < opts.Size; off += int64(len(zero)) {
		if _, err := f.WriteAt(zero[:min(int64(len(zero)), opts.Size-off)], off); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Datasync(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if j, err = journal.Open(fs, name, r, opts); err != nil {
		b.Fatal(err)
	}
	return j
}
