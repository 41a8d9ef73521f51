package vfs

import (
	"io"
	"os"
)

// File is an open file of an FS.
//
// ReadAt and WriteAt follow io.ReaderAt and io.WriterAt: a short read or
// write always comes with a non-nil error. A File is safe for concurrent
// use by several goroutines as long as their writes do not overlap.
type File interface {
	io.ReaderAt
	io.WriterAt
	io.Closer

	// WriteV writes the buffers back to back starting at off, as one
	// vectored write (pwritev on Linux). It returns the number of bytes
	// written; fewer than the sum of len(bufs) comes with an error.
	// The buffers are only read during the call; the caller keeps them.
	WriteV(bufs [][]byte, off int64) (int, error)
	// ReadV fills the buffers back to back from off, as one vectored read
	// (preadv on Linux): one I/O for a range of the file whose parts go
	// to different places. It returns the bytes read; fewer than the sum
	// of len(bufs) comes with an error (io.EOF at the end of the file).
	ReadV(bufs [][]byte, off int64) (int, error)

	// Sync makes the file's data and metadata durable (fsync).
	Sync() error
	// Datasync makes the file's data, and the metadata needed to read it
	// back (its size), durable (fdatasync). It does not make the file's
	// directory entry durable: that takes SyncDir on the parent.
	Datasync() error

	// Truncate sets the file's size. The change is durable after Sync.
	Truncate(size int64) error
	// Allocate reserves space for [off, off+n) so later writes there do
	// not fail for lack of space, and extends the file to off+n if it is
	// shorter. It returns an error wrapping ErrUnsupported where the file
	// system cannot preallocate.
	Allocate(off, n int64) error

	// Size returns the file's current size.
	Size() (int64, error)
	// Fd returns the operating system's descriptor, or InvalidFd for files
	// that have none (the in-memory FS). Memory-mapping needs a real one.
	Fd() uintptr
	// Name returns the name the file was opened with.
	Name() string
}

// InvalidFd is what File.Fd returns for a file without an OS descriptor.
const InvalidFd = ^uintptr(0)

// FS is the file system the storage stack runs on.
//
// Names are slash-separated paths; relative names are relative to the
// FS's working directory (the process's for the OS FS, "/" for MemFS).
// Creating, renaming or removing a directory entry is durable only after
// SyncDir on the parent directory.
type FS interface {
	// Create creates the named file for reading and writing, truncating
	// it if it exists.
	Create(name string) (File, error)
	// Open opens the named file read-only.
	Open(name string) (File, error)
	// OpenReadWrite opens the named file for reading and writing,
	// creating it (empty) if it does not exist.
	OpenReadWrite(name string) (File, error)
	// Remove removes the named file or empty directory.
	Remove(name string) error
	// Rename atomically replaces newname with oldname.
	Rename(oldname, newname string) error
	// MkdirAll creates a directory and any missing parents.
	MkdirAll(dir string, perm os.FileMode) error
	// SyncDir makes the entries of the named directory durable.
	SyncDir(dir string) error
	// List returns the names of the entries of a directory, sorted.
	List(dir string) ([]string, error)
	// Stat describes the named file.
	Stat(name string) (os.FileInfo, error)
	// Lock takes an exclusive advisory lock on the named file (creating
	// it), so two processes never open the same store. Close releases it.
	Lock(name string) (io.Closer, error)
}

// readVByReadAt is ReadV for files without a vectored read: one ReadAt
// per buffer, stopping at the first error.
func readVByReadAt(r io.ReaderAt, bufs [][]byte, off int64) (int, error) {
	total := 0
	for _, b := range bufs {
		n, err := r.ReadAt(b, off+int64(total))
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
