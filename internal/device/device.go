package device

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"mapstore/internal/vfs"
)

// Kind is what the device is.
type Kind int

const (
	// KindAuto detects the kind from the path (see the package comment).
	KindAuto Kind = iota
	// KindFile is a preallocated file on an ordinary file system.
	KindFile
	// KindBlock is a raw block device.
	KindBlock
	// KindPMEM is a file on a DAX file system, or on tmpfs standing in
	// for one.
	KindPMEM
)

func (k Kind) String() string {
	switch k {
	case KindAuto:
		return "auto"
	case KindFile:
		return "file"
	case KindBlock:
		return "block"
	case KindPMEM:
		return "pmem"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ParseKind parses a kind as written on a command line.
func ParseKind(s string) (Kind, error) {
	for _, k := range []Kind{KindAuto, KindFile, KindBlock, KindPMEM} {
		if s == k.String() {
			return k, nil
		}
	}
	return 0, fmt.Errorf("device: unknown kind %q (want auto, file, block or pmem)", s)
}

// ErrTooSmall is returned when an existing device is smaller than asked.
var ErrTooSmall = errors.New("device: smaller than the requested size")

// Options configure Open.
type Options struct {
	// Kind forces the device's kind. Default KindAuto: detected.
	Kind Kind
	// Size is the size to create a file or pmem device with; an existing
	// file smaller than Size is grown to it. A block device keeps its own
	// size and must be at least Size. Required for new files.
	Size int64
	// Logger receives what Open found. Default: discard.
	Logger *slog.Logger
}

// Device is an open device.
type Device struct {
	// File is the device, for the rest of the stack.
	File vfs.File
	// Kind is what the device is (never KindAuto).
	Kind Kind
	// Size is the usable size in bytes.
	Size int64
	// MapSync says a MAP_SHARED_VALIDATE|MAP_SYNC mapping of the device
	// works: it is on a real DAX file system.
	MapSync bool
	// Volatile says the device is in memory (tmpfs): it does not survive
	// a reboot.
	Volatile bool
}

// Open opens (creating if needed) the device at path.
func Open(path string, opts Options) (*Device, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Size < 0 {
		return nil, fmt.Errorf("device: negative size %d", opts.Size)
	}
	probe, err := detect(path)
	if err != nil {
		return nil, err
	}
	kind := opts.Kind
	if kind == KindAuto {
		kind = probe.kind
	}
	if kind == KindBlock && !probe.isBlock {
		return nil, fmt.Errorf("device: %s is not a block device", path)
	}
	if kind != KindBlock && probe.isBlock {
		return nil, fmt.Errorf("device: %s is a block device, not a %s device", path, kind)
	}

	f, err := vfs.NewOSFS().OpenReadWrite(path)
	if err != nil {
		return nil, fmt.Errorf("device: open %s: %w", path, err)
	}
	d := &Device{File: f, Kind: kind, Volatile: probe.tmpfs}
	if err := d.prepare(opts.Size); err != nil {
		f.Close()
		return nil, fmt.Errorf("device: %s: %w", path, err)
	}
	if kind == KindPMEM {
		d.MapSync = probeMapSync(f)
	}
	if d.Volatile {
		log.Warn("device is on tmpfs: its contents do not survive a reboot", slog.String("path", path))
	}
	log.Info("device opened",
		slog.String("path", path), slog.String("kind", kind.String()),
		slog.Int64("size", d.Size), slog.Bool("map_sync", d.MapSync))
	return d, nil
}

// prepare sizes the device: a block device is measured, a file grown to
// size with preallocation.
func (d *Device) prepare(size int64) error {
	if d.Kind == KindBlock {
		n, err := blockSize(d.File)
		if err != nil {
			return err
		}
		if n < size {
			return fmt.Errorf("%w: %d bytes, %d requested", ErrTooSmall, n, size)
		}
		d.Size = n
		return nil
	}
	cur, err := d.File.Size()
	if err != nil {
		return err
	}
	if size == 0 {
		if cur == 0 {
			return fmt.Errorf("a new device needs a size")
		}
		d.Size = cur
		return nil
	}
	if cur < size {
		if err := d.File.Allocate(0, size); err != nil {
			if !errors.Is(err, vfs.ErrUnsupported) {
				return fmt.Errorf("preallocate %d bytes: %w", size, err)
			}
			if err := d.File.Truncate(size); err != nil {
				return err
			}
		}
		if err := d.File.Sync(); err != nil {
			return err
		}
		cur = size
	}
	d.Size = cur
	return nil
}

// Flush is the device's durability step: afterwards every write that
// returned before it is on the media. See the package comment for why it is
// fdatasync for every kind.
func (d *Device) Flush() error {
	if err := d.File.Datasync(); err != nil {
		return fmt.Errorf("device: flush %s: %w", d.File.Name(), err)
	}
	return nil
}

// Close closes the device.
func (d *Device) Close() error { return d.File.Close() }

// probe is what detect learns about a path.
type probe struct {
	kind    Kind
	isBlock bool
	tmpfs   bool
}

// detect classifies path (which need not exist yet: then its directory's
// file system decides).
func detect(path string) (probe, error) {
	mode, exists, err := statMode(path)
	if err != nil {
		return probe{}, err
	}
	if exists && mode&os.ModeDevice != 0 && mode&os.ModeCharDevice == 0 {
		return probe{kind: KindBlock, isBlock: true}, nil
	}
	if exists && !mode.IsRegular() {
		return probe{}, fmt.Errorf("device: %s is neither a regular file nor a block device", path)
	}
	dir := path
	if !exists {
		dir = filepath.Dir(path)
	}
	return fileKind(dir)
}

func statMode(path string) (os.FileMode, bool, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("device: stat %s: %w", path, err)
	}
	return fi.Mode(), true, nil
}
