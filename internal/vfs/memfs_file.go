package vfs

import (
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
)

// memFile is an open file of a MemFS.
type memFile struct {
	fs       *MemFS
	name     string
	inode    *memInode
	readOnly bool
	closed   atomic.Bool
}

var _ File = (*memFile)(nil)

// check fails if the FS has crashed, the file is closed, or a write is
// attempted through a read-only file.
func (f *memFile) check(op string, write bool) error {
	switch {
	case f.fs.crashed.Load():
		return fmt.Errorf("vfs: %s %s: %w", op, f.name, ErrCrashed)
	case f.closed.Load():
		return fmt.Errorf("vfs: %s %s: %w", op, f.name, os.ErrClosed)
	case write && f.readOnly:
		return fmt.Errorf("vfs: %s %s: opened read-only: %w", op, f.name, syscall.EBADF)
	}
	return nil
}

// ReadAt implements File. Past the end it returns io.EOF with a short
// count.
func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, fmt.Errorf("vfs: read %s at %d: %w", f.name, off, syscall.EINVAL)
	}
	f.inode.mu.Lock()
	defer f.inode.mu.Unlock()
	return f.inode.readAt(p, off)
}

// ReadV implements File.
func (f *memFile) ReadV(bufs [][]byte, off int64) (int, error) { return readVByReadAt(f, bufs, off) }

// WriteAt implements File. Writing past the end extends the file with
// zeros.
func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	return f.WriteV([][]byte{p}, off)
}

// WriteV implements File. The whole call counts as one write for
// CrashOptions.TornLastWrite.
func (f *memFile) WriteV(bufs [][]byte, off int64) (int, error) {
	if err := f.check("write", true); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, fmt.Errorf("vfs: write %s at %d: %w", f.name, off, syscall.EINVAL)
	}
	n := f.inode
	n.mu.Lock()
	defer n.mu.Unlock()
	total := int64(0)
	for _, b := range bufs {
		n.writeAt(b, off+total)
		total += int64(len(b))
	}
	if total > 0 {
		n.last = lastWrite{off: off, n: total, seq: f.fs.seq.Add(1)}
	}
	return int(total), nil
}

// Sync implements File.
func (f *memFile) Sync() error { return f.sync("sync") }

// Datasync implements File. MemFS has no metadata beyond the size, so it
// is the same as Sync.
func (f *memFile) Datasync() error { return f.sync("datasync") }

func (f *memFile) sync(op string) error {
	if err := f.check(op, false); err != nil {
		return err
	}
	f.inode.mu.Lock()
	f.inode.sync()
	f.inode.mu.Unlock()
	return nil
}

// Truncate implements File.
func (f *memFile) Truncate(size int64) error {
	if err := f.check("truncate", true); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("vfs: truncate %s to %d: %w", f.name, size, syscall.EINVAL)
	}
	f.inode.mu.Lock()
	f.inode.setSize(size)
	f.inode.mu.Unlock()
	return nil
}

// Allocate implements File: it extends the file with zeros if it is
// shorter than off+n. There is no space to reserve.
func (f *memFile) Allocate(off, n int64) error {
	if err := f.check("allocate", true); err != nil {
		return err
	}
	if off < 0 || n <= 0 {
		return fmt.Errorf("vfs: allocate %s at %d len %d: %w", f.name, off, n, syscall.EINVAL)
	}
	f.inode.mu.Lock()
	if end := off + n; end > f.inode.size {
		f.inode.setSize(end)
	}
	f.inode.mu.Unlock()
	return nil
}

// Size implements File.
func (f *memFile) Size() (int64, error) {
	if err := f.check("size", false); err != nil {
		return 0, err
	}
	f.inode.mu.Lock()
	defer f.inode.mu.Unlock()
	return f.inode.size, nil
}

// Close implements File. Closing twice is an error.
func (f *memFile) Close() error {
	if f.closed.Swap(true) {
		return fmt.Errorf("vfs: close %s: %w", f.name, os.ErrClosed)
	}
	if f.fs.crashed.Load() {
		return fmt.Errorf("vfs: close %s: %w", f.name, ErrCrashed)
	}
	return nil
}

// Fd implements File: a MemFS file has no descriptor.
func (f *memFile) Fd() uintptr { return InvalidFd }

// Name implements File.
func (f *memFile) Name() string { return f.name }
