package volume

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/localstore/hashfs"
	"mapstore/mmio"
	"mapstore/ssdalloc"
)

// Object ids below FirstObject are the volume's own.
const (
	// SegmentsObject is the translation's object for the allocator's
	// segments: segment s is its logical blocks [32s, 32s+32).
	SegmentsObject = 1
	// FirstObject is the lowest id the layer above may give its data.
	FirstObject = 16
)

// Volume is one device laid out for mapstore: the metadata region (the
// translation table, the allocator's tables and the root area) behind one
// journal, and the data blocks the translation hands out. Changes are
// batched in a transaction (Begin) and made durable all or none by
// Commit. One goroutine changes the volume at a time; reads
// (ReadBlocks, Lookup) may run concurrently with it.
type Volume struct {
	dev   vfs.File
	sb    *superblock
	r     *mmio.Region
	j     *journal.Journal
	tr    *hashfs.Translation
	table *hashfs.Table // the translation's table, read only by the writer
	alloc *ssdalloc.DurableAllocator
	log   *slog.Logger

	pendingFree []hashfs.Key // freed in the open batch: applied at Commit
	dataDirty   bool         // data blocks written since the last Commit
	err         error        // fail-stop: a failed write or commit
}

// Open opens the volume on dev, formatting it first when it holds none
// (its first block is zero) and no journal exists at journalPath in fs.
// The journal is recovered before anything is read. dev stays the
// caller's: Close does not close it.
func Open(fs vfs.FS, journalPath string, dev vfs.File, opts Options) (*Volume, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	size, err := dev.Size()
	if err != nil {
		return nil, fmt.Errorf("volume: size of %s: %w", dev.Name(), err)
	}
	sb, err := readOrFormat(fs, journalPath, dev, size, opts)
	if err != nil {
		return nil, err
	}
	v := &Volume{dev: dev, sb: sb, log: opts.Logger}
	ropts := mmio.Options{Offset: sb.tableOff, Size: sb.dataOff - sb.tableOff, Budget: opts.Budget, Logger: opts.Logger}
	if opts.Buffered {
		v.r, err = mmio.NewBuffered(dev, ropts)
	} else {
		v.r, err = mmio.Map(dev, ropts)
	}
	if err != nil {
		return nil, fmt.Errorf("volume: metadata region: %w", err)
	}
	if v.j, err = journal.Open(fs, journalPath, v.r, opts.Journal); err != nil {
		v.r.Close()
		return nil, fmt.Errorf("volume: journal: %w", err)
	}
	d, err := hashfs.LoadDurable(v.r, 0, sb.blocks, int(sb.run))
	if err != nil {
		v.Close()
		return nil, fmt.Errorf("volume: translation table: %w", err)
	}
	v.tr = hashfs.NewTranslation(d, opts.Frames)
	v.table = d.Table()
	if v.alloc, err = ssdalloc.LoadAllocator(v.r, sb.allocOff-sb.tableOff, sb.rootOff-sb.allocOff,
		segmentSpace{v}, int(sb.segments)); err != nil {
		v.Close()
		return nil, fmt.Errorf("volume: allocator: %w", err)
	}
	v.log.Info("volume open",
		slog.String("device", dev.Name()), slog.Int64("blocks", sb.blocks),
		slog.Int64("used_blocks", d.Table().Len()), slog.Int("run", int(sb.run)))
	return v, nil
}

// readOrFormat returns the device's superblock, formatting the device
// when it is new. A device is new when its first block is all zeros, or
// when it carries a damaged superblock and no journal was ever created:
// Open syncs the superblock before it creates the journal, so only a
// format cut short looks like that. Anything else is refused.
func readOrFormat(fs vfs.FS, journalPath string, dev vfs.File, size int64, opts Options) (*superblock, error) {
	b := make([]byte, BlockSize)
	if size >= BlockSize {
		if _, err := dev.ReadAt(b, 0); err != nil {
			return nil, fmt.Errorf("volume: reading the superblock: %w", err)
		}
	}
	sb, err := decodeSuperblock(b, size)
	if err == nil {
		return sb, nil
	}
	_, serr := fs.Stat(journalPath)
	journalExists := serr == nil
	if serr != nil && !errors.Is(serr, vfs.ErrNotExist) {
		return nil, fmt.Errorf("volume: looking for the journal: %w", serr)
	}
	fresh := bytes.Equal(b, make([]byte, BlockSize)) || (errors.Is(err, ErrCorrupt) && bytes.HasPrefix(b, []byte(superMagic)))
	if !fresh || journalExists {
		return nil, fmt.Errorf("volume: %s: %w", dev.Name(), err)
	}
	if sb, err = fit(size, opts.Run); err != nil {
		return nil, err
	}
	if _, err := rand.Read(sb.uuid[:]); err != nil {
		return nil, fmt.Errorf("volume: volume id: %w", err)
	}
	sb.created = time.Now().UnixNano()
	if _, err := dev.WriteAt(sb.encode(), 0); err != nil {
		return nil, fmt.Errorf("volume: writing the superblock: %w", err)
	}
	if err := dev.Sync(); err != nil {
		return nil, fmt.Errorf("volume: syncing the superblock: %w", err)
	}
	opts.Logger.Info("volume formatted", slog.String("device", dev.Name()),
		slog.Int64("blocks", sb.blocks), slog.Int64("data_offset", sb.dataOff))
	return sb, nil
}

// Blocks returns the number of data blocks, and how many are in use. Only
// the goroutine that changes the volume may call it.
func (v *Volume) Blocks() (total, used int64) { return v.sb.blocks, v.table.Len() }

// Translation returns the block translation. Changes to it go through
// the volume (WriteBlocks, FreeBlocks) so that they follow its batches.
func (v *Volume) Translation() *hashfs.Translation { return v.tr }

// Allocator returns the small-object allocator; its changes are written
// through the volume's transactions and made durable by Commit.
func (v *Volume) Allocator() *ssdalloc.DurableAllocator { return v.alloc }

// Journal returns the journal behind the metadata region.
func (v *Volume) Journal() *journal.Journal { return v.j }

// Region returns the metadata region.
func (v *Volume) Region() *mmio.Region { return v.r }

// RootOffset is where the root area (RootSize bytes for the layer above)
// starts in the metadata region: read it with Region().ReadAt and change
// it with the batch's tx.WriteAt.
func (v *Volume) RootOffset() int64 { return v.sb.rootOff - v.sb.tableOff }

// ID returns the volume's random identity, set when it was formatted.
func (v *Volume) ID() [16]byte { return v.sb.uuid }

// Begin starts a batch.
func (v *Volume) Begin() *mmio.Tx { return v.j.Begin() }

// Close closes the journal and the region (not the device).
func (v *Volume) Close() error {
	var errs []error
	if v.j != nil {
		errs = append(errs, v.j.Close())
	}
	if v.r != nil {
		errs = append(errs, v.r.Close())
	}
	return errors.Join(errs...)
}
