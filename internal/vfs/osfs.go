package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Default is the operating system's file system.
var Default FS = NewOSFS()

// NewOSFS returns the FS of the operating system, a thin layer over the os
// package that adds vectored writes, fdatasync, fallocate, directory sync
// and flock where the platform has them.
func NewOSFS() FS { return osFS{} }

type osFS struct{}

var _ FS = osFS{}

func (osFS) Create(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return nil, pathErr("create", name, err)
	}
	return &osFile{f: f, name: name}, nil
}

func (osFS) Open(name string) (File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	return &osFile{f: f, name: name}, nil
}

func (osFS) OpenReadWrite(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, pathErr("open read-write", name, err)
	}
	return &osFile{f: f, name: name}, nil
}

func (osFS) Remove(name string) error {
	if err := os.Remove(name); err != nil {
		return pathErr("remove", name, err)
	}
	return nil
}

func (osFS) Rename(oldname, newname string) error {
	if err := os.Rename(oldname, newname); err != nil {
		var le *os.LinkError
		if errors.As(err, &le) {
			err = le.Err
		}
		return fmt.Errorf("vfs: rename %s to %s: %w", oldname, newname, err)
	}
	return nil
}

func (osFS) MkdirAll(dir string, perm os.FileMode) error {
	if err := os.MkdirAll(dir, perm); err != nil {
		return pathErr("mkdir", dir, err)
	}
	return nil
}

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return pathErr("sync dir", dir, err)
	}
	serr := d.Sync()
	cerr := d.Close()
	if err := errors.Join(serr, cerr); err != nil {
		return pathErr("sync dir", dir, err)
	}
	return nil
}

func (osFS) List(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, pathErr("list", dir, err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name() // os.ReadDir sorts by name
	}
	return names, nil
}

func (osFS) Stat(name string) (os.FileInfo, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, pathErr("stat", name, err)
	}
	return fi, nil
}

// osFile is a File over an *os.File. WriteV, Datasync and Allocate live in
// the per-OS files.
type osFile struct {
	f    *os.File
	name string
}

var _ File = (*osFile)(nil)

// ReadAt returns io.EOF unwrapped, as io.ReaderAt callers expect.
func (f *osFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.f.ReadAt(p, off)
	if err != nil && err != io.EOF {
		err = fileErr("read", f.name, off, err)
	}
	return n, err
}

func (f *osFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := f.f.WriteAt(p, off)
	if err != nil {
		err = fileErr("write", f.name, off, err)
	}
	return n, err
}

func (f *osFile) Sync() error {
	if err := f.f.Sync(); err != nil {
		return pathErr("sync", f.name, err)
	}
	return nil
}

func (f *osFile) Truncate(size int64) error {
	if err := f.f.Truncate(size); err != nil {
		return fileErr("truncate", f.name, size, err)
	}
	return nil
}

func (f *osFile) Size() (int64, error) {
	fi, err := f.f.Stat()
	if err != nil {
		return 0, pathErr("size", f.name, err)
	}
	return fi.Size(), nil
}

func (f *osFile) Close() error {
	if err := f.f.Close(); err != nil {
		return pathErr("close", f.name, err)
	}
	return nil
}

func (f *osFile) Fd() uintptr  { return f.f.Fd() }
func (f *osFile) Name() string { return f.name }

// control runs fn with the file's descriptor, which stays open meanwhile.
func (f *osFile) control(fn func(fd int) error) error {
	rc, err := f.f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// pathErr wraps err with the operation and name. The *fs.PathError layer of
// the os package is dropped, since it would repeat the name; errors.Is sees
// the errno underneath, so ErrNotExist and friends still match.
func pathErr(op, name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("vfs: %s %s: %w", op, name, err)
}

// fileErr is pathErr for an operation at an offset of a file.
func fileErr(op, name string, off int64, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("vfs: %s %s at %d: %w", op, name, off, err)
}
