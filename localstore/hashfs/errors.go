package hashfs

import "errors"

// ErrFull is returned by Insert when no slot is free: every block of the
// device is allocated.
var ErrFull = errors.New("hashfs: table full")

// ErrExists is returned by Insert for a key that is already mapped.
var ErrExists = errors.New("hashfs: block already mapped")

// ErrNotFound is returned for a key that is not mapped.
var ErrNotFound = errors.New("hashfs: block not mapped")

// ErrBlockRange is returned for a logical block beyond the 48-bit logical
// space of an object.
var ErrBlockRange = errors.New("hashfs: logical block out of range")

// ErrCorrupt marks a table area that fails its checks on load.
var ErrCorrupt = errors.New("hashfs: corrupt table")
