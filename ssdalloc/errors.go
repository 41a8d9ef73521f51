package ssdalloc

import "errors"

// ErrTooLarge is returned for an object larger than the largest size
// class.
var ErrTooLarge = errors.New("ssdalloc: object too large for a size class")

// ErrBadID is returned for an object id that no table owns or whose slot
// is not allocated.
var ErrBadID = errors.New("ssdalloc: no such object")
