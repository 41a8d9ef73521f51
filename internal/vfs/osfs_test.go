package vfs

import (
	"bytes"
	"errors"
	"path/filepath"
	"runtime"
	"testing"
)

func TestOSFSFdIsReal(t *testing.T) {
	f, err := Default.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Fd() == InvalidFd {
		t.Fatal("an OS file has no descriptor")
	}
}

func TestOSFSSyncDir(t *testing.T) {
	dir := t.TempDir()
	f, err := Default.Create(filepath.Join(dir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	mustWriteAt(t, f, []byte("x"), 0)
	if err := f.Datasync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := Default.SyncDir(dir); err != nil {
		t.Fatal(err)
	}
	if err := Default.SyncDir(filepath.Join(dir, "missing")); !errors.Is(err, ErrNotExist) {
		t.Fatalf("SyncDir of a missing directory: %v; want ErrNotExist", err)
	}
}

func TestOSFSAllocateOnLinux(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("fallocate is Linux only")
	}
	f, err := Default.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = f.Allocate(0, 1<<20)
	if errors.Is(err, ErrUnsupported) {
		t.Skipf("the temporary directory's file system cannot preallocate: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if size, _ := f.Size(); size != 1<<20 {
		t.Fatalf("size after Allocate = %d; want %d", size, 1<<20)
	}
}

// TestOSFSWriteVLarge writes more buffers than one pwritev call takes, so
// WriteV must split them into several calls.
func TestOSFSWriteVLarge(t *testing.T) {
	f, err := Default.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var bufs [][]byte
	var want []byte
	for i := range 3*iovMaxForTest + 7 {
		b := pattern(4096+i%3, byte(i))
		bufs = append(bufs, b)
		want = append(want, b...)
	}
	if n, err := f.WriteV(bufs, 0); n != len(want) || err != nil {
		t.Fatalf("WriteV = %d, %v; want %d", n, err, len(want))
	}
	got := make([]byte, len(want))
	if _, err := f.ReadAt(got, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("WriteV over several iovec chunks wrote the wrong bytes")
	}
}

const iovMaxForTest = 1024
