package localstore

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"

	"mapstore/internal/device"
	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/localstore/volume"
	"mapstore/s3api"
	"mapstore/ssdalloc"
)

// Store is the object engine of one node: buckets, objects and multipart
// uploads on one volume. It implements s3api.Backend for a single node,
// and Apply is the seam a replication layer drives.
type Store struct {
	opts Options
	log  *slog.Logger
	dev  *device.Device // nil when the device is a file of opts.FS
	file vfs.File
	vol  *volume.Volume

	pub atomic.Pointer[published]

	// allocMu guards the allocator: Apply holds it to change records,
	// readers to read them.
	allocMu sync.RWMutex
	alloc   *ssdalloc.DurableAllocator

	// applyMu serializes Apply and reclaim; the fields below it are theirs.
	applyMu sync.Mutex
	applied uint64
	// used is the device's blocks in use as of the last commit: what
	// the write path checks room against without waiting for a batch.
	used        atomic.Int64
	totalBlocks int64 // the device's data blocks, fixed at open
	nextObj     uint64
	refs        map[uint64]int       // data object -> records whose body uses it
	open        map[uint64]*openData // data objects being written
	blocks      map[uint64]uint64    // data object -> blocks it has (0..n-1)
	failed      error

	pinMu   sync.Mutex
	pins    map[uint64]int  // data object -> open readers
	zombies map[uint64]bool // released while pinned: freed after the last reader

	idMu   sync.Mutex
	lastID int64 // the time in the last upload id, so ids grow

	reclaimCh chan struct{}
	prop      Proposer
	commit    *committer // the single node's proposer; nil for a replica
	closeOnce sync.Once
	closed    chan struct{}
	wg        sync.WaitGroup
}

// published is the state readers see, and a channel closed when a newer
// one replaces it (or the store fails).
type published struct {
	st   *state
	next chan struct{}
}

// openData is a data object being written.
type openData struct {
	recs    []ssdalloc.ObjectID
	version uint64
}

var _ s3api.Backend = (*Store)(nil)

// The root area of the volume (volume.RootSize bytes):
//
//	0        4        8             16            24
//	+--------+--------+-------------+-------------+
//	| "MSLS" | ver 1  | applied u64 | nextObj u64 |
//	+--------+--------+-------------+-------------+
//
// It changes only inside batches, through the journal.
const (
	rootMagic   = 0x534c534d // "MSLS"
	rootVersion = 1
	rootLen     = 24
)

// Open opens the store in opts.Dir, creating it when it does not exist.
func Open(opts Options) (*Store, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	s := &Store{
		opts: opts, log: opts.Logger,
		refs: map[uint64]int{}, open: map[uint64]*openData{}, blocks: map[uint64]uint64{},
		pins: map[uint64]int{}, zombies: map[uint64]bool{},
		reclaimCh: make(chan struct{}, 1), closed: make(chan struct{}),
	}
	if err := s.openVolume(); err != nil {
		return nil, err
	}
	if err := s.load(); err != nil {
		s.closeVolume()
		return nil, err
	}
	if opts.Proposer != nil {
		s.prop = opts.Proposer
	} else {
		s.commit = newCommitter(s)
		s.prop = s.commit
	}
	s.wg.Add(1)
	go s.reclaimer()
	return s, nil
}

func (s *Store) openVolume() error {
	o := &s.opts
	fs := o.FS
	journalPath := filepath.Join(o.Dir, JournalFile)
	if fs == nil {
		fs = vfs.Default
		if err := mkdirDurable(fs, o.Dir); err != nil {
			return err
		}
		// Capacity sizes a new device only: an existing one keeps its
		// size (its volume was laid out for it).
		size := o.Capacity
		if _, err := fs.Stat(o.Device); err == nil {
			size = 0
		}
		d, err := device.Open(o.Device, device.Options{Kind: o.DeviceKind, Size: size, Logger: s.log})
		if err != nil {
			return fmt.Errorf("localstore: %w", err)
		}
		s.dev, s.file = d, d.File
	} else {
		if err := mkdirDurable(fs, o.Dir); err != nil {
			return err
		}
		f, err := fs.OpenReadWrite(o.Device)
		if err != nil {
			f, err = fs.Create(o.Device)
		}
		var size int64
		if err == nil {
			size, err = f.Size()
		}
		if err == nil && size == 0 {
			// New: sized, and its size made durable before use.
			if err = f.Truncate(o.Capacity); err == nil {
				err = f.Sync()
			}
			if err == nil {
				err = fs.SyncDir(o.Dir)
			}
		}
		if err != nil {
			if f != nil {
				f.Close()
			}
			return fmt.Errorf("localstore: opening device %s: %w", o.Device, err)
		}
		s.file = f
	}
	v, err := volume.Open(fs, journalPath, s.file, volume.Options{
		Run: o.Run, Buffered: o.Buffered, Logger: s.log,
		Journal: journal.Options{Size: o.JournalSize, InlineCheckpoint: o.InlineCheckpoint},
	})
	if err != nil {
		s.closeDevice()
		return fmt.Errorf("localstore: %w", err)
	}
	s.vol = v
	s.alloc = v.Allocator()
	s.totalBlocks, _ = v.Blocks()
	return nil
}

// mkdirDurable creates dir and its missing parents, and syncs the parent
// of each one it creates so that the directory survives a crash.
func mkdirDurable(fs vfs.FS, dir string) error {
	dir = filepath.Clean(dir)
	if _, err := fs.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirDurable(fs, parent); err != nil {
			return err
		}
	}
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("localstore: creating data directory: %w", err)
	}
	if err := fs.SyncDir(parent); err != nil {
		return fmt.Errorf("localstore: syncing %s: %w", parent, err)
	}
	return nil
}

func (s *Store) closeDevice() {
	if s.dev != nil {
		s.dev.Close()
	} else if s.file != nil {
		s.file.Close()
	}
}

func (s *Store) closeVolume() {
	s.vol.Close()
	s.closeDevice()
}

// Close stops the store: batches in flight finish, later calls fail with
// ErrClosed. Readers must be closed first.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.commit != nil {
			s.commit.stop()
		}
		close(s.closed)
		s.wg.Wait()
		s.applyMu.Lock()
		defer s.applyMu.Unlock()
		if s.failed == nil {
			s.failed = ErrClosed
		}
		err = s.vol.Close()
		s.closeDevice()
	})
	return err
}

// Applied returns the index of the last batch applied.
func (s *Store) Applied() uint64 {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	return s.applied
}

// readRoot reads the root area; a zero area is a new store.
func (s *Store) readRoot() (fresh bool, err error) {
	var b [rootLen]byte
	if _, err := s.vol.Region().ReadAt(b[:], s.vol.RootOffset()); err != nil {
		return false, fmt.Errorf("localstore: reading root: %w", err)
	}
	magic := binary.LittleEndian.Uint32(b[0:])
	if magic == 0 {
		return true, nil
	}
	if magic != rootMagic || binary.LittleEndian.Uint32(b[4:]) != rootVersion {
		return false, fmt.Errorf("%w: root area: magic %#x version %d", ErrCorrupt, magic, binary.LittleEndian.Uint32(b[4:]))
	}
	s.applied = binary.LittleEndian.Uint64(b[8:])
	s.nextObj = binary.LittleEndian.Uint64(b[16:])
	if s.nextObj < volume.FirstObject {
		return false, fmt.Errorf("%w: root area: next data object %d", ErrCorrupt, s.nextObj)
	}
	return false, nil
}

func (s *Store) rootBytes() []byte {
	b := make([]byte, rootLen)
	binary.LittleEndian.PutUint32(b[0:], rootMagic)
	binary.LittleEndian.PutUint32(b[4:], rootVersion)
	binary.LittleEndian.PutUint64(b[8:], s.applied)
	binary.LittleEndian.PutUint64(b[16:], s.nextObj)
	return b
}

// fail makes err the store's failure: every later change is refused, and
// readers waiting for a newer state stop waiting.
func (s *Store) fail(err error) error {
	if s.failed == nil {
		s.failed = fmt.Errorf("%w: %w", ErrFailed, err)
		s.log.Error("store failed; it refuses changes until reopened", "err", err)
		p := s.pub.Load()
		s.pub.Store(&published{st: p.st, next: make(chan struct{})})
		close(p.next)
	}
	return s.failed
}
