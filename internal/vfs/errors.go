package vfs

import (
	"errors"
	"io/fs"
)

// ErrUnsupported is returned (wrapped) by operations the underlying file
// system cannot perform, such as Allocate where fallocate is missing.
var ErrUnsupported = errors.ErrUnsupported

// ErrInjected is wrapped by every error that an Injector makes up, so a test
// can tell an injected failure from a real one with errors.Is.
var ErrInjected = errors.New("vfs: injected error")

// ErrCrashed is returned (wrapped) by every operation on a MemFS, or on a
// file of it, after Crash has been called on it: the "machine" is down.
var ErrCrashed = errors.New("vfs: file system has crashed")

// ErrLocked is returned (wrapped) by FS.Lock when the lock is already held,
// by another process or by another Lock call in this one.
var ErrLocked = errors.New("vfs: already locked")

// ErrNotExist and ErrExist are the io/fs errors, so errors.Is works the
// same for the OS and in-memory file systems.
var (
	ErrNotExist = fs.ErrNotExist
	ErrExist    = fs.ErrExist
)
