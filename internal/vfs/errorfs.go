package vfs

import (
	"fmt"
	"io"
	"os"
)

// OpKind is the kind of an operation seen by an Injector.
type OpKind int

// The operations of FS and File. WriteAt and WriteV are both OpWrite.
const (
	OpCreate OpKind = iota
	OpOpen
	OpOpenReadWrite
	OpRemove
	OpRename
	OpMkdirAll
	OpSyncDir
	OpList
	OpStat
	OpLock
	OpRead
	OpWrite
	OpSync
	OpDatasync
	OpTruncate
	OpAllocate
	OpSize
	OpClose
)

var opKindNames = [...]string{
	OpCreate:        "create",
	OpOpen:          "open",
	OpOpenReadWrite: "open-read-write",
	OpRemove:        "remove",
	OpRename:        "rename",
	OpMkdirAll:      "mkdir-all",
	OpSyncDir:       "sync-dir",
	OpList:          "list",
	OpStat:          "stat",
	OpLock:          "lock",
	OpRead:          "read",
	OpWrite:         "write",
	OpSync:          "sync",
	OpDatasync:      "datasync",
	OpTruncate:      "truncate",
	OpAllocate:      "allocate",
	OpSize:          "size",
	OpClose:         "close",
}

func (k OpKind) String() string {
	if k >= 0 && int(k) < len(opKindNames) {
		return opKindNames[k]
	}
	return fmt.Sprintf("OpKind(%d)", int(k))
}

// Mutates reports whether operations of this kind may change the file
// system's state, durable or volatile: the ones whose failure a crash test
// must survive.
func (k OpKind) Mutates() bool {
	switch k {
	case OpCreate, OpOpenReadWrite, OpRemove, OpRename, OpMkdirAll, OpSyncDir,
		OpWrite, OpSync, OpDatasync, OpTruncate, OpAllocate:
		return true
	}
	return false
}

// Op describes one operation about to be performed.
type Op struct {
	Kind OpKind
	// Path is the name given to the FS method, or the name the file was
	// opened with. For OpRename it is the old name.
	Path string
	// NewPath is the new name of an OpRename, empty otherwise.
	NewPath string
	// Offset is where a read, write or allocation starts, and the new size
	// of a truncate.
	Offset int64
	// Len is the byte count of a read, write (all buffers of a WriteV) or
	// allocation.
	Len int
}

func (op Op) String() string {
	switch op.Kind {
	case OpRename:
		return fmt.Sprintf("rename %s to %s", op.Path, op.NewPath)
	case OpRead, OpWrite, OpAllocate:
		return fmt.Sprintf("%s %s at %d len %d", op.Kind, op.Path, op.Offset, op.Len)
	case OpTruncate:
		return fmt.Sprintf("truncate %s to %d", op.Path, op.Offset)
	}
	return fmt.Sprintf("%s %s", op.Kind, op.Path)
}

// Injector decides which operations of an error-injecting FS fail.
//
// MaybeError is called before every operation, possibly from several
// goroutines at once; a non-nil result fails the operation, which is then
// not performed. Errors should wrap ErrInjected (see Injected).
type Injector interface {
	MaybeError(op Op) error
}

// InjectorFunc is a function used as an Injector.
type InjectorFunc func(op Op) error

// MaybeError implements Injector.
func (f InjectorFunc) MaybeError(op Op) error { return f(op) }

// NewErrorFS wraps fs so that every FS and File operation first asks inj.
// When inj returns an error, the operation is not performed and the error
// is returned, wrapped with a description of the operation. Lock's closer,
// Fd and Name pass through without asking.
func NewErrorFS(fs FS, inj Injector) FS {
	return &errorFS{fs: fs, inj: inj}
}

type errorFS struct {
	fs  FS
	inj Injector
}

var _ FS = (*errorFS)(nil)

func maybeError(inj Injector, op Op) error {
	if err := inj.MaybeError(op); err != nil {
		return fmt.Errorf("vfs: %s: %w", op, err)
	}
	return nil
}

func (e *errorFS) wrap(f File, err error) (File, error) {
	if err != nil {
		return nil, err
	}
	return &errorFile{f: f, inj: e.inj}, nil
}

func (e *errorFS) Create(name string) (File, error) {
	if err := maybeError(e.inj, Op{Kind: OpCreate, Path: name}); err != nil {
		return nil, err
	}
	return e.wrap(e.fs.Create(name))
}

func (e *errorFS) Open(name string) (File, error) {
	if err := maybeError(e.inj, Op{Kind: OpOpen, Path: name}); err != nil {
		return nil, err
	}
	return e.wrap(e.fs.Open(name))
}

func (e *errorFS) OpenReadWrite(name string) (File, error) {
	if err := maybeError(e.inj, Op{Kind: OpOpenReadWrite, Path: name}); err != nil {
		return nil, err
	}
	return e.wrap(e.fs.OpenReadWrite(name))
}

func (e *errorFS) Remove(name string) error {
	if err := maybeError(e.inj, Op{Kind: OpRemove, Path: name}); err != nil {
		return err
	}
	return e.fs.Remove(name)
}

func (e *errorFS) Rename(oldname, newname string) error {
	if err := maybeError(e.inj, Op{Kind: OpRename, Path: oldname, NewPath: newname}); err != nil {
		return err
	}
	return e.fs.Rename(oldname, newname)
}

func (e *errorFS) MkdirAll(dir string, perm os.FileMode) error {
	if err := maybeError(e.inj, Op{Kind: OpMkdirAll, Path: dir}); err != nil {
		return err
	}
	return e.fs.MkdirAll(dir, perm)
}

func (e *errorFS) SyncDir(dir string) error {
	if err := maybeError(e.inj, Op{Kind: OpSyncDir, Path: dir}); err != nil {
		return err
	}
	return e.fs.SyncDir(dir)
}

func (e *errorFS) List(dir string) ([]string, error) {
	if err := maybeError(e.inj, Op{Kind: OpList, Path: dir}); err != nil {
		return nil, err
	}
	return e.fs.List(dir)
}

func (e *errorFS) Stat(name string) (os.FileInfo, error) {
	if err := maybeError(e.inj, Op{Kind: OpStat, Path: name}); err != nil {
		return nil, err
	}
	return e.fs.Stat(name)
}

func (e *errorFS) Lock(name string) (io.Closer, error) {
	if err := maybeError(e.inj, Op{Kind: OpLock, Path: name}); err != nil {
		return nil, err
	}
	return e.fs.Lock(name)
}
