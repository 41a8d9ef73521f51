//go:build !linux

package vfs

import "fmt"

// WriteV writes the buffers one after the other with WriteAt.
func (f *osFile) WriteV(bufs [][]byte, off int64) (int, error) {
	total := 0
	for _, b := range bufs {
		n, err := f.WriteAt(b, off+int64(total))
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// ReadV reads the buffers one after the other with ReadAt.
func (f *osFile) ReadV(bufs [][]byte, off int64) (int, error) { return readVByReadAt(f, bufs, off) }

// Datasync falls back to a full Sync.
func (f *osFile) Datasync() error { return f.Sync() }

// Allocate is not supported outside Linux.
func (f *osFile) Allocate(off, n int64) error {
	return fmt.Errorf("vfs: allocate %s at %d len %d: %w", f.name, off, n, ErrUnsupported)
}
