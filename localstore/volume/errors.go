package volume

import (
	"errors"

	"mapstore/localstore/hashfs"
)

var (
	// ErrCorrupt marks a superblock that fails its checks.
	ErrCorrupt = errors.New("volume: corrupt")
	// ErrNotFormatted is returned when the device holds no volume.
	ErrNotFormatted = errors.New("volume: device not formatted")
	// ErrTooSmall is returned when a device cannot hold a volume.
	ErrTooSmall = errors.New("volume: device too small")
	// ErrBlockMapped is returned when data is written to a logical block
	// that already has one: blocks are written once, into space no
	// committed state refers to, and freed as a whole.
	ErrBlockMapped = errors.New("volume: logical block already written")
	// ErrNotMapped is returned when a logical block has no data.
	ErrNotMapped = errors.New("volume: logical block not written")
	// ErrFull is returned when no block is free: for data, and for a
	// segment the allocator needs. It is the translation's ErrFull.
	ErrFull = hashfs.ErrFull
	// ErrReservedObject is returned for object ids the volume keeps for
	// itself.
	ErrReservedObject = errors.New("volume: reserved object id")
)
