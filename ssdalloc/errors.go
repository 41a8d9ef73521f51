package ssdalloc

import "errors"

// ErrTooLarge is returned for an object larger than the largest size
// class.
var ErrTooLarge = errors.New("ssdalloc: object too large for a size class")

// ErrBadID is returned for an object id that no table owns or whose slot
// is not allocated.
var ErrBadID = errors.New("ssdalloc: no such object")

// ErrCorrupt marks a segment or record that fails its checks.
var ErrCorrupt = errors.New("ssdalloc: corrupt segment")

// ErrLogFull is returned when no segment has room and none is free:
// cleaning must run first.
var ErrLogFull = errors.New("ssdalloc: log full")

// ErrNoSegment is wrapped by Space.Segment when a segment has no blocks
// and none may be allocated (no transaction to allocate them in, or no
// room on the device).
var ErrNoSegment = errors.New("ssdalloc: segment has no blocks")
