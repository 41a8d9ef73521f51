package localstore

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"mapstore/internal/device"
	"mapstore/internal/vfs"
)

// Defaults of Options.
const (
	// DefaultCapacity is the size of a device file Open creates.
	DefaultCapacity = 8 << 30
	// DefaultJournalSize is the journal file's size.
	DefaultJournalSize = 256 << 20
	// DefaultInlineMax is the largest body kept inline in its object's
	// metadata record instead of in blocks of its own.
	DefaultInlineMax = 16 << 10
	// DeviceFile and JournalFile are the names Open uses in Dir.
	DeviceFile  = "device"
	JournalFile = "journal"
)

// Options configure Open. Only Dir is required.
type Options struct {
	// Dir is the data directory: it holds the device file (unless Device
	// names another path) and the journal. Created if missing.
	Dir string
	// Device is the device's path: a file (created), a raw block device,
	// or a file on a DAX file system. Default Dir/device.
	Device string
	// DeviceKind forces the device's kind. Default detected.
	DeviceKind device.Kind
	// Capacity is the size a new device file is created with. An existing
	// device keeps its size. Default DefaultCapacity.
	Capacity int64
	// JournalSize is the size of a new journal file. Default
	// DefaultJournalSize.
	JournalSize int64
	// InlineMax is the largest body stored inline in the object's record.
	// Default DefaultInlineMax; at most ssdalloc.MaxObject minus the
	// record's metadata.
	InlineMax int
	// Logger receives what the store does. Default: discard.
	Logger *slog.Logger
	// Now is the clock for object times. Default time.Now.
	Now func() time.Time
	// Proposer, if set, makes the store a replica: its writes are
	// proposed through it (a replicated log that has every replica call
	// Apply), not applied by the store's own committer. A replica decides
	// nothing from its own circumstances at Apply: room on the device is
	// checked before proposing, and a replica that runs out of space fails
	// instead of refusing what others accept. Open keeps the data objects
	// left open, for their writers may live on another node; the leader
	// drops abandoned ones (OpenData, OpDropData).
	Proposer Proposer

	// For tests: FS, if set, holds the device file and the journal instead
	// of the operating system's file system (the crash-simulating FS), and
	// the device is a plain file of that FS. Buffered, Run and
	// InlineCheckpoint are passed to the volume and its journal.
	FS               vfs.FS
	Buffered         bool
	Run              int
	InlineCheckpoint bool
}

// EnsureDefaults fills the zero fields with their defaults.
func (o *Options) EnsureDefaults() *Options {
	if o.Device == "" && o.Dir != "" {
		o.Device = filepath.Join(o.Dir, DeviceFile)
	}
	if o.Capacity == 0 {
		o.Capacity = DefaultCapacity
	}
	if o.JournalSize == 0 {
		o.JournalSize = DefaultJournalSize
	}
	if o.InlineMax == 0 {
		o.InlineMax = DefaultInlineMax
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Validate reports options that cannot work.
func (o *Options) Validate() error {
	if o.Dir == "" {
		return fmt.Errorf("localstore: %w: no data directory", ErrOptions)
	}
	if o.Capacity < 1<<20 {
		return fmt.Errorf("localstore: %w: capacity %d is below 1 MiB", ErrOptions, o.Capacity)
	}
	if o.JournalSize < 256<<10 {
		return fmt.Errorf("localstore: %w: journal size %d is below 256 KiB", ErrOptions, o.JournalSize)
	}
	if o.InlineMax < 0 || o.InlineMax > maxInline {
		return fmt.Errorf("localstore: %w: inline limit %d is not in [0, %d]", ErrOptions, o.InlineMax, maxInline)
	}
	return nil
}
