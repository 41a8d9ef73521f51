//go:build linux

package mmio

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"mapstore/internal/vfs"
)

// TestPrefetchFallsBackWithoutPopulateRead plays a kernel that predates
// MADV_POPULATE_READ (it answers EINVAL): Prefetch must notice once, fall
// back to reading through the file for good, and still leave the range
// resident with the right contents.
func TestPrefetchFallsBackWithoutPopulateRead(t *testing.T) {
	const size = 1 << 20
	f, err := vfs.NewOSFS().Create(filepath.Join(t.TempDir(), "dev"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data := bytes.Repeat([]byte("prefetch"), size/8)
	if _, err := f.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		t.Skipf("cannot drop the page cache: %v", err)
	}
	r, err := Map(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m := r.b.(*mmapBacking)
	calls := 0
	m.populateRead = func([]byte) error { calls++; return unix.EINVAL }

	if err := r.Prefetch(context.Background(), 0, size/2); err != nil {
		t.Fatalf("Prefetch with the fallback: %v", err)
	}
	if err := r.Prefetch(context.Background(), size/2, size/2); err != nil {
		t.Fatalf("second Prefetch: %v", err)
	}
	if calls != 1 || !m.noPopulate.Load() {
		t.Fatalf("MADV_POPULATE_READ tried %d times (want once, then never again)", calls)
	}
	res, err := r.Resident(0, size)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range res {
		if !in {
			t.Fatalf("page %d not resident after the fallback prefetch", i)
		}
	}
	got := make([]byte, size)
	if _, err := r.ReadAt(got, 0); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("contents after prefetch differ (err %v)", err)
	}
}
