//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package vfs

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Lock creates the file if needed and takes flock(LOCK_EX|LOCK_NB) on it.
// flock locks belong to the open file, so a second Lock of the same name
// fails even within one process.
func (osFS) Lock(name string) (io.Closer, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, pathErr("lock", name, err)
	}
	lf := &osFile{f: f, name: name}
	err = lf.control(func(fd int) error { return unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) })
	if err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("vfs: lock %s: held by another process or handle: %w: %w", name, ErrLocked, err)
		}
		return nil, fmt.Errorf("vfs: lock %s: %w", name, err)
	}
	return lf, nil // closing the file releases the lock
}
