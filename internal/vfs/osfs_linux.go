package vfs

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"golang.org/x/sys/unix"
)

// iovMax is the most buffers one pwritev call accepts (IOV_MAX on Linux).
const iovMax = 1024

// WriteV writes bufs with pwritev, at most iovMax buffers per call, and
// calls again after a short write until everything is written.
func (f *osFile) WriteV(bufs [][]byte, off int64) (int, error) {
	var total int
	err := f.control(func(fd int) error {
		var err error
		total, err = pwritevAll(fd, bufs, off)
		return err
	})
	if err != nil {
		return total, fileErr("writev", f.name, off+int64(total), err)
	}
	return total, nil
}

// pwritevAll writes all of bufs at off. It never modifies the caller's
// slice: after a write that ends inside a buffer it works on a copy.
func pwritevAll(fd int, bufs [][]byte, off int64) (int, error) {
	total, copied := 0, false
	for len(bufs) > 0 {
		n, err := unix.Pwritev(fd, bufs[:min(len(bufs), iovMax)], off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return total, err
		}
		total += n
		off += int64(n)
		before := len(bufs)
		for len(bufs) > 0 && n >= len(bufs[0]) {
			n -= len(bufs[0])
			bufs = bufs[1:]
		}
		if n > 0 {
			if !copied {
				bufs, copied = slices.Clone(bufs), true
			}
			bufs[0] = bufs[0][n:]
		} else if len(bufs) == before {
			return total, io.ErrShortWrite // no progress at all
		}
	}
	return total, nil
}

// Datasync calls fdatasync.
func (f *osFile) Datasync() error {
	if err := f.control(unix.Fdatasync); err != nil {
		return pathErr("datasync", f.name, err)
	}
	return nil
}

// Allocate calls fallocate with mode 0, which also extends the file.
func (f *osFile) Allocate(off, n int64) error {
	err := f.control(func(fd int) error { return unix.Fallocate(fd, 0, off, n) })
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ENOSYS):
		return fmt.Errorf("vfs: allocate %s at %d len %d: %w: %w", f.name, off, n, ErrUnsupported, err)
	default:
		return fmt.Errorf("vfs: allocate %s at %d len %d: %w", f.name, off, n, err)
	}
}

// ReadV reads bufs with preadv, at most iovMax buffers per call, and
// calls again after a short read until everything is read or the file
// ends.
func (f *osFile) ReadV(bufs [][]byte, off int64) (int, error) {
	var total int
	err := f.control(func(fd int) error {
		copied := false
		for len(bufs) > 0 {
			n, err := unix.Preadv(fd, bufs[:min(len(bufs), iovMax)], off)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return err
			}
			if n == 0 {
				return io.EOF
			}
			total += n
			off += int64(n)
			for len(bufs) > 0 && n >= len(bufs[0]) {
				n -= len(bufs[0])
				bufs = bufs[1:]
			}
			if n > 0 {
				if !copied {
					bufs, copied = slices.Clone(bufs), true
				}
				bufs[0] = bufs[0][n:]
			}
		}
		return nil
	})
	if err == io.EOF {
		return total, io.EOF
	}
	if err != nil {
		return total, fileErr("readv", f.name, off, err)
	}
	return total, nil
}
