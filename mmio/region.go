package mmio

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"mapstore/internal/vfs"
)

// Region is a page-granular window onto [Offset, Offset+Size) of a file,
// with explicit dirty tracking, a resident budget and reclaim. It is safe
// for concurrent use.
type Region struct {
	f      vfs.File
	off    int64
	size   int64
	npages int64
	opts   Options
	log    *slog.Logger
	b      backing
	mapped bool

	shards    []shard
	shardMask int64

	private atomic.Int64  // privately held pages
	txSeq   atomic.Uint64 // last Tx id handed out
	failed  atomic.Pointer[error]

	reclaimMu sync.Mutex // one reclaimer at a time
	bgKick    chan struct{}
	bgStop    chan struct{}
	bgDone    chan struct{}
	pressure  atomic.Pointer[func()]
	wbMu      sync.Mutex // one writer-home at a time (reclaim or checkpoint)
	rrShard   int        // next shard reclaim scans first (under reclaimMu)

	viewMu sync.RWMutex
	views  atomic.Int64
	closed bool

	stats stats
}

// Map maps the region MAP_PRIVATE: reads come straight from the page
// cache, and no change reaches the file until the region writes it home.
// The file needs an OS descriptor and must be at least Offset+Size long.
func Map(f vfs.File, opts Options) (*Region, error) {
	return open(f, opts, true)
}

// NewBuffered opens a region kept in a heap buffer filled through the vfs
// File instead of a mapping: the same semantics, on any vfs.FS, including
// the in-memory crash FS.
func NewBuffered(f vfs.File, opts Options) (*Region, error) {
	return open(f, opts, false)
}

func open(f vfs.File, opts Options, mapped bool) (*Region, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	fsize, err := f.Size()
	if err != nil {
		return nil, fmt.Errorf("mmio: size of %s: %w", f.Name(), err)
	}
	size := opts.Size
	if size == 0 {
		size = (fsize - opts.Offset) / PageSize * PageSize
	}
	if size <= 0 || opts.Offset+size > fsize {
		return nil, fmt.Errorf("mmio: %w: region [%d, %d) does not fit in %s of %d bytes",
			ErrRange, opts.Offset, opts.Offset+size, f.Name(), fsize)
	}
	r := &Region{
		f:         f,
		off:       opts.Offset,
		size:      size,
		npages:    size / PageSize,
		opts:      opts,
		log:       opts.Logger,
		mapped:    mapped,
		shards:    make([]shard, opts.Shards),
		shardMask: int64(opts.Shards - 1),
	}
	for i := range r.shards {
		r.shards[i].init()
	}
	if mapped {
		r.b, err = newMmapBacking(f, r.off, size)
		if err != nil {
			return nil, err
		}
	} else {
		r.b = newHeapBacking(f, r.off, size)
	}
	if opts.Budget > 0 && !opts.ForegroundReclaimOnly {
		r.bgKick = make(chan struct{}, 1)
		r.bgStop = make(chan struct{})
		r.bgDone = make(chan struct{})
		go r.backgroundReclaim()
	}
	return r, nil
}

// Size returns the region's length in bytes.
func (r *Region) Size() int64 { return r.size }

// Offset returns where the region starts in its file.
func (r *Region) Offset() int64 { return r.off }

// File returns the file the region's pages live in ("home").
func (r *Region) File() vfs.File { return r.f }

// Mapped reports whether the region is a memory mapping (Map) rather than
// a heap buffer (NewBuffered).
func (r *Region) Mapped() bool { return r.mapped }

// Options returns the options the region runs with, defaults filled in.
func (r *Region) Options() Options { return r.opts }

// checkRange validates [off, off+n) and returns its first and last+1 page.
func (r *Region) checkRange(off int64, n int) (first, end int64, err error) {
	if off < 0 || n < 0 || off+int64(n) > r.size {
		return 0, 0, fmt.Errorf("%w: [%d, %d) of a %d-byte region", ErrRange, off, off+int64(n), r.size)
	}
	return off / PageSize, (off + int64(n) + PageSize - 1) / PageSize, nil
}

// ReadAt copies len(p) bytes at off into p. It sees uncommitted writes of
// open transactions. A fault while paging in returns an error wrapping
// ErrFault.
func (r *Region) ReadAt(p []byte, off int64) (int, error) {
	if err := r.acquire(); err != nil {
		return 0, err
	}
	defer r.release()
	mem, err := r.span(off, len(p))
	if err != nil {
		return 0, err
	}
	return copyProtected(p, mem)
}

// span returns the region's memory for [off, off+n), loaded first if the
// backing needs it. The slice aliases the region.
func (r *Region) span(off int64, n int) ([]byte, error) {
	first, end, err := r.checkRange(off, n)
	if err != nil || n == 0 {
		return []byte{}, err
	}
	mem, err := r.b.bytes(first, end-first)
	if err != nil {
		return nil, err
	}
	start := off - first*PageSize
	return mem[start : start+int64(n) : start+int64(n)], nil
}

// Prefetch makes [off, off+n) resident without stalling the calling
// goroutine's P: it checks residency with mincore and faults the missing
// pages in with MADV_POPULATE_READ inside a system call (or, on kernels
// without it, reads them through the file). Call it before touching a View
// on a hot path. An I/O error comes back as an error wrapping ErrFault.
func (r *Region) Prefetch(ctx context.Context, off int64, n int) error {
	if err := r.acquire(); err != nil {
		return err
	}
	defer r.release()
	first, end, err := r.checkRange(off, n)
	if err != nil || n == 0 {
		return err
	}
	return r.b.prefetch(ctx, first, end-first)
}

// Resident reports for each page of [off, off+n) whether it is in memory.
func (r *Region) Resident(off int64, n int) ([]bool, error) {
	if err := r.acquire(); err != nil {
		return nil, err
	}
	defer r.release()
	first, end, err := r.checkRange(off, n)
	if err != nil {
		return nil, err
	}
	out := make([]bool, end-first)
	return out, r.b.resident(first, end-first, out)
}

// PrivateBytes returns the bytes of privately held pages, the figure the
// budget bounds.
func (r *Region) PrivateBytes() int64 { return r.private.Load() * PageSize }

// Fail puts the region in the failed state: every later write, seal and
// writeback returns an error wrapping ErrFailed and cause, and goroutines
// waiting on pending pages wake up with it. The journal calls it when a
// commit's I/O fails; it is never undone.
func (r *Region) Fail(cause error) {
	err := fmt.Errorf("%w: %w", ErrFailed, cause)
	if !r.failed.CompareAndSwap(nil, &err) {
		return
	}
	r.log.Error("region failed", slog.String("file", r.f.Name()), slog.Any("err", cause))
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	}
}

// Err returns the error the region failed with, or nil.
func (r *Region) Err() error {
	if p := r.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// acquire guards an operation that touches the memory against Close.
func (r *Region) acquire() error {
	r.viewMu.RLock()
	if r.closed {
		r.viewMu.RUnlock()
		return ErrClosed
	}
	return nil
}

func (r *Region) release() { r.viewMu.RUnlock() }

// Close unmaps the region. It fails with ErrViewsOutstanding while views
// are held. Changes not committed through the journal are discarded, as
// after a crash.
func (r *Region) Close() error {
	r.viewMu.Lock()
	defer r.viewMu.Unlock()
	if r.closed {
		return nil
	}
	if n := r.views.Load(); n > 0 {
		return fmt.Errorf("%w: %d", ErrViewsOutstanding, n)
	}
	r.closed = true
	closedErr := error(ErrClosed)
	r.failed.CompareAndSwap(nil, &closedErr)
	if r.bgStop != nil {
		// The reclaimer's next acquire fails; wait for it to be gone
		// before unmapping. (It cannot hold the lock we hold.)
		close(r.bgStop)
		r.viewMu.Unlock()
		<-r.bgDone
		r.viewMu.Lock()
	}
	return r.b.close()
}

// Reload drops every page so the region shows the file's current
// contents. The journal calls it after recovery wrote to the file behind
// the region; it fails if any page is held privately.
func (r *Region) Reload() error {
	if n := r.private.Load(); n != 0 {
		return fmt.Errorf("mmio: reload with %d private pages", n)
	}
	if err := r.acquire(); err != nil {
		return err
	}
	defer r.release()
	return r.b.drop(0, r.npages, true)
}
