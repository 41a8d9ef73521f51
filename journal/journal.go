package journal

import (
	"errors"
	"fmt"
	"log/slog"
	"path"
	"sync"

	"mapstore/internal/vfs"
	"mapstore/mmio"
)

// Journal makes transactions of one region durable all or none. It is safe
// for concurrent use.
type Journal struct {
	fs   vfs.FS
	name string
	f    vfs.File
	r    *mmio.Region
	opts Options
	log  *slog.Logger
	end  int64 // file size: the record area is [dataStart, end)

	mu   sync.Mutex
	cond sync.Cond // durable, space or failure changed
	// nextLSN is the LSN the next record gets; head where it goes.
	nextLSN uint64
	head    int64
	// live lists the records not yet checkpointed, oldest first:
	// written, or queued to be written.
	live []liveRec
	// queue holds sealed records waiting for the group-commit leader.
	queue []*pending
	// syncing is set while a leader writes and syncs a batch.
	syncing    bool
	durableLSN uint64
	hdr        header // last header written
	err        error  // set once: fail-stop
	closed     bool

	cpMu   sync.Mutex // one checkpoint at a time
	cpKick chan struct{}
	cpStop chan struct{}
	cpDone chan struct{}

	stats stats
}

type liveRec struct {
	lsn  uint64
	pos  int64
	size int64
}

// pending is a sealed record on its way to the journal file.
type pending struct {
	lsn   uint64
	pos   int64
	bufs  [][]byte // header+table, page images, trailer+padding
	size  int64
	pages []mmio.SealedPage
}

// Open opens the journal file name on fs for region r, creating and
// formatting it if needed, and recovers: committed records are replayed
// into r's home file, which is synced, and r is reloaded to show them.
// Open must come before any write to r.
func Open(fs vfs.FS, name string, r *mmio.Region, opts Options) (*Journal, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	j := &Journal{fs: fs, name: name, r: r, opts: opts, log: opts.Logger}
	j.cond.L = &j.mu
	f, err := fs.OpenReadWrite(name)
	if err != nil {
		return nil, fmt.Errorf("journal: open %s: %w", name, err)
	}
	j.f = f
	if err := j.recover(); err != nil {
		f.Close()
		return nil, err
	}
	if !opts.InlineCheckpoint {
		j.cpKick = make(chan struct{}, 1)
		j.cpStop = make(chan struct{})
		j.cpDone = make(chan struct{})
		go j.checkpointLoop()
		// When reclaim runs short of pages it may drop, checkpoint early
		// so the journaled ones become clean.
		r.SetPressureHook(j.kickCheckpoint)
	}
	return j, nil
}

// recover brings the journal and the region's home file to a consistent
// state, and leaves the journal empty.
func (j *Journal) recover() error {
	h, found, err := readHeader(j.f)
	if err != nil {
		return err
	}
	if !found {
		used, err := looksFormatted(j.f)
		if err != nil {
			return err
		}
		if used {
			return fmt.Errorf("%w: %s has records but no valid header", ErrCorrupt, j.name)
		}
		return j.format()
	}
	size, err := j.f.Size()
	if err != nil {
		return fmt.Errorf("journal: size of %s: %w", j.name, err)
	}
	if size < h.capacity {
		return fmt.Errorf("%w: %s is %d bytes, formatted for %d", ErrCorrupt, j.name, size, h.capacity)
	}
	recs, err := scan(j.f, h)
	if err != nil {
		return err
	}
	dev := j.r.File()
	devSize, err := dev.Size()
	if err != nil {
		return fmt.Errorf("journal: size of %s: %w", dev.Name(), err)
	}
	if err := replay(dev, devSize, recs, j.log); err != nil {
		return err
	}
	if err := j.r.Reload(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	j.end = h.capacity
	j.hdr = h
	j.head, j.nextLSN = h.tailPos, h.tailLSN
	if n := len(recs); n > 0 {
		last := recs[n-1]
		j.head, j.nextLSN = last.pos+last.size, last.lsn+1
	}
	// Beyond the end of the log there may be records that were written but
	// discarded: torn ones, and whole ones behind a torn one (a group
	// commit's writes can reach the disk in any order). None was
	// acknowledged, and recovery has just decided they never happened, so
	// they must never be read again. New records would reuse their LSNs,
	// and one of them could line up with a stale record and resurrect it;
	// so the LSNs jump past any that could still be in the file (at most
	// one record per sector), and the new header, written before any new
	// record, makes the jump durable. Everything replayed is home and
	// synced: the journal starts empty.
	j.nextLSN += uint64(j.end / sectorSize)
	if err := j.writeHeader(j.nextLSN, j.head); err != nil {
		return err
	}
	j.durableLSN = j.nextLSN - 1
	return nil
}

// format initializes a new journal file: both header slots valid, an empty
// record area, all durable (including the directory entry).
func (j *Journal) format() error {
	size := j.opts.Size
	if err := j.f.Truncate(0); err != nil {
		return fmt.Errorf("journal: format %s: %w", j.name, err)
	}
	if err := j.f.Allocate(0, size); err != nil {
		if !errors.Is(err, vfs.ErrUnsupported) {
			return fmt.Errorf("journal: format %s: %w", j.name, err)
		}
		// No preallocation here: a sparse file of the right size.
		if err := j.f.Truncate(size); err != nil {
			return fmt.Errorf("journal: format %s: %w", j.name, err)
		}
	}
	j.end = size
	j.head, j.nextLSN = dataStart, 1
	j.durableLSN = 0
	j.hdr = header{seq: 0, tailLSN: 1, tailPos: dataStart, capacity: size}
	for i := 0; i < 2; i++ {
		if err := j.writeHeader(1, dataStart); err != nil {
			return err
		}
	}
	if err := j.fs.SyncDir(path.Dir(j.name)); err != nil {
		return fmt.Errorf("journal: sync directory of %s: %w", j.name, err)
	}
	j.log.Info("journal formatted", slog.String("file", j.name), slog.Int64("size", size))
	return nil
}

// writeHeader writes the next header slot with the given tail and syncs.
func (j *Journal) writeHeader(tailLSN uint64, tailPos int64) error {
	h := header{seq: j.hdr.seq + 1, tailLSN: tailLSN, tailPos: tailPos, capacity: j.end}
	slot := int64(h.seq % 2)
	if _, err := j.f.WriteAt(h.encode(), slot*headerSlotSz); err != nil {
		return fmt.Errorf("journal: write header of %s: %w", j.name, err)
	}
	if err := j.f.Datasync(); err != nil {
		return fmt.Errorf("journal: sync header of %s: %w", j.name, err)
	}
	j.hdr = h
	return nil
}

// Region returns the region the journal protects.
func (j *Journal) Region() *mmio.Region { return j.r }

// Begin starts a transaction on the journal's region.
func (j *Journal) Begin() *mmio.Tx { return j.r.Begin() }

// Close stops the checkpointer and closes the journal file. It does not
// checkpoint: recovery replays what is left. It does not close the region.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	j.cond.Broadcast()
	j.mu.Unlock()
	if j.cpStop != nil {
		close(j.cpStop)
		<-j.cpDone
	}
	j.cpMu.Lock()
	defer j.cpMu.Unlock()
	return j.f.Close()
}

// fail makes the journal fail-stop (first error wins) and fails the region.
// Called with j.mu held.
func (j *Journal) failLocked(err error) error {
	if j.err == nil {
		j.err = fmt.Errorf("%w: %w", ErrFailed, err)
		j.log.Error("journal failed", slog.String("file", j.name), slog.Any("err", err))
		// The region refuses further writes with an error that wraps
		// both its own ErrFailed and this journal's.
		j.r.Fail(j.err)
		j.cond.Broadcast()
	}
	return j.err
}

// Err returns the error the journal failed with, or nil.
func (j *Journal) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}
