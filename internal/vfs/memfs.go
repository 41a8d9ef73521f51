package vfs

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// MemFS is an in-memory FS that remembers what is durable, so that a test
// can cut the power (CrashClone) and see what a real disk would have kept.
// See the package documentation for the crash model.
//
// A MemFS is safe for concurrent use. The zero value is not usable; call
// NewMem.
type MemFS struct {
	// mu guards the directory tree (every memNode's entries) and locks.
	// It is taken before any memInode.mu, never after.
	mu    sync.Mutex
	root  *memNode
	locks map[string]bool

	// seq numbers writes, so CrashClone can find the most recent one.
	seq     atomic.Uint64
	crashed atomic.Bool
}

var _ FS = (*MemFS)(nil)

// memNode is a directory or a file. Directory entries map to nodes, so a
// file renamed without syncing the directory is still the same inode under
// its old name after a crash.
type memNode struct {
	isDir bool
	// entries and synced are a directory's current and durable entries.
	entries map[string]*memNode
	synced  map[string]*memNode
	// inode is a file's content.
	inode *memInode
}

func newDir() *memNode {
	return &memNode{isDir: true, entries: map[string]*memNode{}, synced: map[string]*memNode{}}
}

// NewMem returns an empty MemFS: just the root directory, which is durable.
func NewMem() *MemFS {
	return &MemFS{root: newDir(), locks: map[string]bool{}}
}

// checkCrashed fails once Crash has been called.
func (m *MemFS) checkCrashed(op, name string) error {
	if m.crashed.Load() {
		return fmt.Errorf("vfs: %s %s: %w", op, name, ErrCrashed)
	}
	return nil
}

// splitPath cleans name, relative to "/", into its components; the root
// has none.
func splitPath(name string) []string {
	p := path.Clean("/" + name)
	if p == "/" {
		return nil
	}
	return strings.Split(p[1:], "/")
}

// walk returns the node at parts. m.mu must be held.
func (m *MemFS) walk(parts []string) (*memNode, error) {
	n := m.root
	for _, p := range parts {
		if !n.isDir {
			return nil, syscall.ENOTDIR
		}
		c, ok := n.entries[p]
		if !ok {
			return nil, ErrNotExist
		}
		n = c
	}
	return n, nil
}

// parent returns the directory that holds name, and name's last component.
// m.mu must be held.
func (m *MemFS) parent(name string) (*memNode, string, error) {
	parts := splitPath(name)
	if len(parts) == 0 {
		return nil, "", syscall.EINVAL // the root has no parent
	}
	dir, err := m.walk(parts[:len(parts)-1])
	if err != nil {
		return nil, "", err
	}
	if !dir.isDir {
		return nil, "", syscall.ENOTDIR
	}
	return dir, parts[len(parts)-1], nil
}

// openFile returns the file at name, creating it if create is set and
// emptying it if truncate is set. m.mu must be held.
func (m *MemFS) openFile(name string, create, truncate bool) (*memNode, error) {
	dir, base, err := m.parent(name)
	if err != nil {
		return nil, err
	}
	n, ok := dir.entries[base]
	switch {
	case !ok && !create:
		return nil, ErrNotExist
	case !ok:
		n = &memNode{inode: &memInode{}}
		dir.entries[base] = n
	case n.isDir:
		return nil, syscall.EISDIR
	case truncate:
		n.inode.mu.Lock()
		n.inode.setSize(0)
		n.inode.mu.Unlock()
	}
	return n, nil
}

func (m *MemFS) open(op, name string, create, truncate, readOnly bool) (File, error) {
	if err := m.checkCrashed(op, name); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.openFile(name, create, truncate)
	if err != nil {
		return nil, fmt.Errorf("vfs: %s %s: %w", op, name, err)
	}
	return &memFile{fs: m, name: name, inode: n.inode, readOnly: readOnly}, nil
}

// Create implements FS.
func (m *MemFS) Create(name string) (File, error) {
	return m.open("create", name, true, true, false)
}

// Open implements FS. Unlike the OS FS it refuses directories.
func (m *MemFS) Open(name string) (File, error) {
	return m.open("open", name, false, false, true)
}

// OpenReadWrite implements FS.
func (m *MemFS) OpenReadWrite(name string) (File, error) {
	return m.open("open read-write", name, true, false, false)
}

// Remove implements FS. Files still open keep working.
func (m *MemFS) Remove(name string) error {
	if err := m.checkCrashed("remove", name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, base, err := m.parent(name)
	if err == nil {
		n, ok := dir.entries[base]
		switch {
		case !ok:
			err = ErrNotExist
		case n.isDir && len(n.entries) > 0:
			err = syscall.ENOTEMPTY
		default:
			delete(dir.entries, base)
		}
	}
	if err != nil {
		return fmt.Errorf("vfs: remove %s: %w", name, err)
	}
	return nil
}

// Rename implements FS. Both parents must exist; they may differ.
func (m *MemFS) Rename(oldname, newname string) error {
	if err := m.checkCrashed("rename", oldname); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.rename(oldname, newname); err != nil {
		return fmt.Errorf("vfs: rename %s to %s: %w", oldname, newname, err)
	}
	return nil
}

func (m *MemFS) rename(oldname, newname string) error {
	odir, obase, err := m.parent(oldname)
	if err != nil {
		return err
	}
	ndir, nbase, err := m.parent(newname)
	if err != nil {
		return err
	}
	n, ok := odir.entries[obase]
	if !ok {
		return ErrNotExist
	}
	if odir == ndir && obase == nbase {
		return nil
	}
	if n.isDir {
		oparts, nparts := splitPath(oldname), splitPath(newname)
		if len(nparts) > len(oparts) && slices.Equal(nparts[:len(oparts)], oparts) {
			return syscall.EINVAL // into its own subtree
		}
	}
	if old, ok := ndir.entries[nbase]; ok {
		switch {
		case old.isDir && !n.isDir:
			return syscall.EISDIR
		case !old.isDir && n.isDir:
			return syscall.ENOTDIR
		case old.isDir && len(old.entries) > 0:
			return syscall.ENOTEMPTY
		}
	}
	delete(odir.entries, obase)
	ndir.entries[nbase] = n
	return nil
}

// MkdirAll implements FS. perm is ignored.
func (m *MemFS) MkdirAll(dir string, perm os.FileMode) error {
	if err := m.checkCrashed("mkdir", dir); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.root
	for _, p := range splitPath(dir) {
		c, ok := n.entries[p]
		if !ok {
			c = newDir()
			n.entries[p] = c
		} else if !c.isDir {
			return fmt.Errorf("vfs: mkdir %s: %s: %w", dir, p, syscall.ENOTDIR)
		}
		n = c
	}
	return nil
}

// SyncDir implements FS: the directory's current entries become durable.
func (m *MemFS) SyncDir(dir string) error {
	if err := m.checkCrashed("sync dir", dir); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.dir(dir)
	if err != nil {
		return fmt.Errorf("vfs: sync dir %s: %w", dir, err)
	}
	n.synced = maps.Clone(n.entries)
	return nil
}

// List implements FS.
func (m *MemFS) List(dir string) ([]string, error) {
	if err := m.checkCrashed("list", dir); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.dir(dir)
	if err != nil {
		return nil, fmt.Errorf("vfs: list %s: %w", dir, err)
	}
	return slices.Sorted(maps.Keys(n.entries)), nil
}

// dir returns the directory at name. m.mu must be held.
func (m *MemFS) dir(name string) (*memNode, error) {
	n, err := m.walk(splitPath(name))
	if err != nil {
		return nil, err
	}
	if !n.isDir {
		return nil, syscall.ENOTDIR
	}
	return n, nil
}

// Stat implements FS.
func (m *MemFS) Stat(name string) (os.FileInfo, error) {
	if err := m.checkCrashed("stat", name); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	parts := splitPath(name)
	n, err := m.walk(parts)
	if err != nil {
		return nil, fmt.Errorf("vfs: stat %s: %w", name, err)
	}
	fi := &memFileInfo{name: "/", isDir: n.isDir}
	if len(parts) > 0 {
		fi.name = parts[len(parts)-1]
	}
	if !n.isDir {
		n.inode.mu.Lock()
		fi.size = n.inode.size
		n.inode.mu.Unlock()
	}
	return fi, nil
}

// Lock implements FS. The lock lives in this MemFS only; a clone made by
// CrashClone starts with no locks held, like a rebooted machine.
func (m *MemFS) Lock(name string) (io.Closer, error) {
	if err := m.checkCrashed("lock", name); err != nil {
		return nil, err
	}
	key := path.Clean("/" + name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.locks[key] {
		return nil, fmt.Errorf("vfs: lock %s: %w", name, ErrLocked)
	}
	if _, err := m.openFile(name, true, false); err != nil {
		return nil, fmt.Errorf("vfs: lock %s: %w", name, err)
	}
	m.locks[key] = true
	return &memLock{fs: m, key: key}, nil
}

type memLock struct {
	fs   *MemFS
	key  string
	once sync.Once
}

func (l *memLock) Close() error {
	l.once.Do(func() {
		l.fs.mu.Lock()
		delete(l.fs.locks, l.key)
		l.fs.mu.Unlock()
	})
	return nil
}

type memFileInfo struct {
	name  string
	size  int64
	isDir bool
}

func (fi *memFileInfo) Name() string       { return fi.name }
func (fi *memFileInfo) Size() int64        { return fi.size }
func (fi *memFileInfo) IsDir() bool        { return fi.isDir }
func (fi *memFileInfo) ModTime() time.Time { return time.Time{} }
func (fi *memFileInfo) Sys() any           { return nil }
func (fi *memFileInfo) Mode() os.FileMode {
	if fi.isDir {
		return os.ModeDir | 0o755
	}
	return 0o644
}
