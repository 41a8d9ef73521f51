package vfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"testing"
)

func TestMemConcurrentReadWrite(t *testing.T) {
	m := NewMem()
	f := memWrite(t, m, "f", nil, false)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			off := int64(g * 3000) // straddles block boundaries
			for i := range 200 {
				p := pattern(3000, byte(g+i))
				if _, err := f.WriteAt(p, off); err != nil {
					t.Error(err)
					return
				}
				q := make([]byte, len(p))
				if _, err := f.ReadAt(q, off); err != nil && err != io.EOF || !bytes.Equal(p, q) {
					t.Errorf("goroutine %d read back something else: %v", g, err)
					return
				}
				if i%50 == 0 {
					if err := f.Sync(); err != nil {
						t.Error(err)
					}
					m.CrashClone(CrashOptions{})
				}
			}
		})
	}
	wg.Wait()
}

func TestMemMiscErrors(t *testing.T) {
	m := NewMem()
	memWrite(t, m, "f", nil, false).Close()
	if _, err := m.Create("f/g"); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("Create under a file: %v; want ENOTDIR", err)
	}
	if err := m.MkdirAll("f/d", 0o755); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("MkdirAll through a file: %v; want ENOTDIR", err)
	}
	if err := m.MkdirAll("d/e", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := m.Rename("d", "d/e/x"); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Rename of a directory into itself: %v; want EINVAL", err)
	}
	if _, err := m.Open("d"); !errors.Is(err, syscall.EISDIR) {
		t.Errorf("Open of a directory: %v; want EISDIR", err)
	}
	f, err := m.Open("f")
	if err != nil {
		t.Fatal(err)
	}
	if f.Fd() != InvalidFd {
		t.Error("a MemFS file has a descriptor")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadAt(make([]byte, 1), 0); !errors.Is(err, os.ErrClosed) {
		t.Errorf("ReadAt after Close: %v; want os.ErrClosed", err)
	}
}

// BenchmarkMemSyncAndClone measures the crash-test loop: write a little
// to a large file, sync it, clone.
func BenchmarkMemSyncAndClone(b *testing.B) {
	for _, size := range []int{64 << 10, 1 << 20, 16 << 20} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			m := NewMem()
			f, _ := m.Create("f")
			f.WriteAt(make([]byte, size), 0)
			f.Sync()
			m.SyncDir("/")
			p := make([]byte, 100)
			b.SetBytes(int64(len(p)))
			for i := 0; b.Loop(); i++ {
				f.WriteAt(p, int64(i*4099%(size-len(p))))
				f.Sync()
				m.CrashClone(CrashOptions{})
			}
		})
	}
}
