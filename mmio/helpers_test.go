package mmio_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"mapstore/internal/vfs"
	"mapstore/mmio"
)

const pg = mmio.PageSize

// backend is one way to open a region: the behaviour a test checks is
// shared by all of them unless the test says otherwise.
type backend struct {
	name   string
	mapped bool
	// newFS returns the file system the region's file lives in, and the
	// directory to create it in.
	newFS func(t *testing.T) (vfs.FS, string)
}

func osFS(t *testing.T) (vfs.FS, string)  { return vfs.NewOSFS(), t.TempDir() }
func memFS(t *testing.T) (vfs.FS, string) { return vfs.NewMem(), "/" }

// mapOS is the memory-mapped backend, for tests of mapping-only behaviour.
var mapOS = backend{name: "map-os", mapped: true, newFS: osFS}

// bufMem is the buffered backend on the in-memory FS.
var bufMem = backend{name: "buffered-mem", mapped: false, newFS: memFS}

var backends = []backend{
	mapOS,
	bufMem,
	{name: "buffered-os", mapped: false, newFS: osFS},
}

// forEachBackend runs fn as a subtest per backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

// fixture is an open region and the file behind it.
type fixture struct {
	r    *mmio.Region
	f    vfs.File
	path string // the file's name in its FS
	init []byte // the file's contents before the region touched it
}

// initialContents returns n bytes that differ from page to page and from
// byte to byte, so a misplaced or lost page shows.
func initialContents(n int64) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/pg*13 + 1)
	}
	return b
}

// open creates a file of size bytes filled with initialContents, syncs it,
// and opens a region over all of it with opts. Both are closed at cleanup.
func (b backend) open(t *testing.T, size int64, opts mmio.Options) *fixture {
	t.Helper()
	fs, dir := b.newFS(t)
	path := filepath.Join(dir, "data")
	f, err := fs.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("closing file: %v", err)
		}
	})
	init := initialContents(size)
	if _, err := f.WriteAt(init, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	open := mmio.NewBuffered
	if b.mapped {
		open = mmio.Map
	}
	r, err := open(f, opts)
	if errors.Is(err, mmio.ErrNoMmap) {
		t.Skipf("no mmap here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if r.Mapped() != b.mapped {
		t.Fatalf("Mapped() = %v, want %v", r.Mapped(), b.mapped)
	}
	// Registered after the file's cleanup, so it runs before it.
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("closing region: %v", err)
		}
	})
	return &fixture{r: r, f: f, path: path, init: init}
}

// fill returns n copies of c.
func fill(c byte, n int) []byte { return bytes.Repeat([]byte{c}, n) }

// write writes p at off in tx, failing the test on error.
func write(t *testing.T, tx *mmio.Tx, p []byte, off int64) {
	t.Helper()
	n, err := tx.WriteAt(p, off)
	if err != nil || n != len(p) {
		t.Fatalf("WriteAt(%d bytes at %d) = %d, %v", len(p), off, n, err)
	}
}

// seal seals tx, failing the test on error.
func seal(t *testing.T, tx *mmio.Tx) []mmio.SealedPage {
	t.Helper()
	pages, err := tx.Seal()
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return pages
}

// commit does what the journal does for one transaction writing p at off:
// write, seal, (log the pages), mark them durable.
func commit(t *testing.T, r *mmio.Region, p []byte, off int64) {
	t.Helper()
	tx := r.Begin()
	write(t, tx, p, off)
	r.MarkDurable(seal(t, tx))
}

// writeHome is the checkpointer: write journaled pages home, then sync.
func writeHome(t *testing.T, fx *fixture) int {
	t.Helper()
	n, err := fx.r.WriteHome()
	if err != nil {
		t.Fatalf("WriteHome: %v", err)
	}
	if err := fx.f.Datasync(); err != nil {
		t.Fatalf("Datasync: %v", err)
	}
	return n
}

// readRegion returns [off, off+n) of the region.
func readRegion(t *testing.T, r *mmio.Region, off int64, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if got, err := r.ReadAt(b, off); err != nil || got != n {
		t.Fatalf("region ReadAt(%d bytes at %d) = %d, %v", n, off, got, err)
	}
	return b
}

// readFile returns [off, off+n) of the file, bypassing the region.
func readFile(t *testing.T, f vfs.File, off int64, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if got, err := f.ReadAt(b, off); err != nil || got != n {
		t.Fatalf("file ReadAt(%d bytes at %d) = %d, %v", n, off, got, err)
	}
	return b
}

// checkEqual reports the first differing byte of got and want.
func checkEqual(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d bytes, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: first difference at byte %d (page %d): got %#x, want %#x",
				what, i, i/pg, got[i], want[i])
		}
	}
}
