package vfs

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// memWrite creates (or truncates) name on m with data, syncing the file if
// syncFile is set.
func memWrite(t *testing.T, m *MemFS, name string, data []byte, syncFile bool) File {
	t.Helper()
	f, err := m.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	if syncFile {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func mustSyncDir(t *testing.T, fs FS, dir string) {
	t.Helper()
	if err := fs.SyncDir(dir); err != nil {
		t.Fatal(err)
	}
}

func mustWriteAt(t *testing.T, f File, p []byte, off int64) {
	t.Helper()
	if _, err := f.WriteAt(p, off); err != nil {
		t.Fatal(err)
	}
}

func exists(fs FS, name string) bool {
	_, err := fs.Stat(name)
	return err == nil
}

func TestMemUnsyncedDataLost(t *testing.T) {
	m := NewMem()
	old := pattern(10000, 1)
	f := memWrite(t, m, "f", old, true)
	mustSyncDir(t, m, "/")
	mustWriteAt(t, f, pattern(20000, 2), 5000) // overwrites and extends

	c := m.CrashClone(CrashOptions{})
	if got := readFile(t, c, "f"); !bytes.Equal(got, old) {
		t.Fatalf("after crash: %d bytes, want the %d synced ones", len(got), len(old))
	}
	// The original still sees its unsynced write.
	if got := readFile(t, m, "f"); len(got) != 25000 {
		t.Fatalf("original has %d bytes after CrashClone; want 25000", len(got))
	}
}

func TestMemSyncedDataSurvives(t *testing.T) {
	for _, sync := range []func(File) error{File.Sync, File.Datasync} {
		m := NewMem()
		f := memWrite(t, m, "f", pattern(3000, 1), true)
		mustSyncDir(t, m, "/")
		mustWriteAt(t, f, pattern(9000, 2), 1000)
		if err := sync(f); err != nil {
			t.Fatal(err)
		}
		want := append(pattern(3000, 1)[:1000], pattern(9000, 2)...)
		if got := readFile(t, m.CrashClone(CrashOptions{}), "f"); !bytes.Equal(got, want) {
			t.Fatal("synced data did not survive the crash")
		}
	}
}

func TestMemTruncateDurableOnlyAfterSync(t *testing.T) {
	m := NewMem()
	f := memWrite(t, m, "f", pattern(10000, 1), true)
	mustSyncDir(t, m, "/")
	if err := f.Truncate(100); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, m.CrashClone(CrashOptions{}), "f"); !bytes.Equal(got, pattern(10000, 1)) {
		t.Fatal("an unsynced truncate survived the crash")
	}
	// Regrow over the old extent: the crash must show zeros there, not
	// the content from before the truncate.
	mustWriteAt(t, f, []byte("x"), 9000)
	if err := f.Datasync(); err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 9001)
	copy(want, pattern(100, 1))
	want[9000] = 'x'
	if got := readFile(t, m.CrashClone(CrashOptions{}), "f"); !bytes.Equal(got, want) {
		t.Fatal("truncate, write past the end, sync: the crash shows the wrong bytes")
	}
}

func TestMemCreateWithoutDirSyncLost(t *testing.T) {
	m := NewMem()
	if err := m.MkdirAll("a/b", 0o755); err != nil {
		t.Fatal(err)
	}
	memWrite(t, m, "a/b/f", []byte("data"), true)
	memWrite(t, m, "top", []byte("data"), true)
	mustSyncDir(t, m, "a/b")

	c := m.CrashClone(CrashOptions{})
	for _, name := range []string{"a", "a/b/f", "top"} {
		if _, err := c.Stat(name); !errors.Is(err, ErrNotExist) {
			t.Errorf("%s exists after the crash though its directory was never synced (%v)", name, err)
		}
	}

	mustSyncDir(t, m, "/")
	mustSyncDir(t, m, "a")
	c = m.CrashClone(CrashOptions{})
	if got := readFile(t, c, "a/b/f"); string(got) != "data" {
		t.Fatalf("a/b/f = %q after syncing every directory; want \"data\"", got)
	}
}

func TestMemRemoveWithoutDirSyncReverts(t *testing.T) {
	m := NewMem()
	memWrite(t, m, "f", []byte("data"), true)
	mustSyncDir(t, m, "/")
	if err := m.Remove("f"); err != nil {
		t.Fatal(err)
	}
	if !exists(m.CrashClone(CrashOptions{}), "f") {
		t.Fatal("an unsynced remove survived the crash")
	}
	mustSyncDir(t, m, "/")
	if exists(m.CrashClone(CrashOptions{}), "f") {
		t.Fatal("a synced remove did not survive the crash")
	}
}

func TestMemRenameWithoutDirSyncReverts(t *testing.T) {
	m := NewMem()
	memWrite(t, m, "old", []byte("v1"), true)
	mustSyncDir(t, m, "/")
	if err := m.Rename("old", "new"); err != nil {
		t.Fatal(err)
	}
	// Data synced through the new name is the same inode.
	f, err := m.OpenReadWrite("new")
	if err != nil {
		t.Fatal(err)
	}
	mustWriteAt(t, f, []byte("v2"), 0)
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}

	c := m.CrashClone(CrashOptions{})
	if exists(c, "new") {
		t.Error("an unsynced rename survived the crash")
	}
	if got := readFile(t, c, "old"); string(got) != "v2" {
		t.Errorf("old name holds %q after the crash; want the synced \"v2\"", got)
	}

	mustSyncDir(t, m, "/")
	c = m.CrashClone(CrashOptions{})
	if exists(c, "old") || !exists(c, "new") {
		t.Error("a synced rename did not survive the crash")
	}
}

func TestMemCloneKeepsSharedInode(t *testing.T) {
	m := NewMem()
	if err := m.MkdirAll("d", 0o755); err != nil {
		t.Fatal(err)
	}
	memWrite(t, m, "a", []byte("aaaa"), true)
	mustSyncDir(t, m, "/")
	if err := m.Rename("a", "d/a"); err != nil {
		t.Fatal(err)
	}
	mustSyncDir(t, m, "d") // but not "/": both names survive

	c := m.CrashClone(CrashOptions{})
	f, err := c.OpenReadWrite("a")
	if err != nil {
		t.Fatal(err)
	}
	mustWriteAt(t, f, []byte("b"), 0)
	if got := readFile(t, c, "d/a"); string(got) != "baaa" {
		t.Fatalf("d/a = %q after writing through a; want one shared inode", got)
	}
}

func TestMemCloneIsIndependent(t *testing.T) {
	m := NewMem()
	f := memWrite(t, m, "f", pattern(3*blockSize, 1), true)
	mustSyncDir(t, m, "/")
	c := m.CrashClone(CrashOptions{})

	mustWriteAt(t, f, pattern(3*blockSize, 2), 0)
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, c, "f"); !bytes.Equal(got, pattern(3*blockSize, 1)) {
		t.Fatal("writing the original changed the clone")
	}
	cf, err := c.OpenReadWrite("f")
	if err != nil {
		t.Fatal(err)
	}
	mustWriteAt(t, cf, pattern(3*blockSize, 3), 0)
	if got := readFile(t, m, "f"); !bytes.Equal(got, pattern(3*blockSize, 2)) {
		t.Fatal("writing the clone changed the original")
	}
	if got := readFile(t, c.CrashClone(CrashOptions{}), "f"); !bytes.Equal(got, pattern(3*blockSize, 1)) {
		t.Fatal("a clone's unsynced write survived a crash of the clone")
	}
}

func TestMemCrashStopsEverything(t *testing.T) {
	m := NewMem()
	f := memWrite(t, m, "f", []byte("data"), true)
	mustSyncDir(t, m, "/")
	c := m.CrashClone(CrashOptions{})
	m.Crash()

	ops := map[string]func() error{
		"WriteAt":  func() error { _, err := f.WriteAt([]byte("x"), 0); return err },
		"ReadAt":   func() error { _, err := f.ReadAt(make([]byte, 1), 0); return err },
		"Sync":     f.Sync,
		"Datasync": f.Datasync,
		"Size":     func() error { _, err := f.Size(); return err },
		"Create":   func() error { _, err := m.Create("g"); return err },
		"Open":     func() error { _, err := m.Open("f"); return err },
		"Rename":   func() error { return m.Rename("f", "g") },
		"Remove":   func() error { return m.Remove("f") },
		"SyncDir":  func() error { return m.SyncDir("/") },
		"List":     func() error { _, err := m.List("/"); return err },
		"Lock":     func() error { _, err := m.Lock("LOCK"); return err },
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, ErrCrashed) {
			t.Errorf("%s after Crash: %v; want ErrCrashed", name, err)
		}
	}
	if got := readFile(t, c, "f"); string(got) != "data" {
		t.Fatalf("clone taken before Crash reads %q", got)
	}
	if got := readFile(t, m.CrashClone(CrashOptions{}), "f"); string(got) != "data" {
		t.Fatalf("clone taken after Crash reads %q", got)
	}
}

// setupUnsynced makes a synced file of n blocks of old content, then
// overwrites all of it, unsynced, with new content, and grows it by one
// more block.
func setupUnsynced(t *testing.T, nblocks int) (m *MemFS, old, cur []byte) {
	m = NewMem()
	old, cur = pattern(nblocks*blockSize, 1), pattern((nblocks+1)*blockSize, 2)
	f := memWrite(t, m, "f", old, true)
	mustSyncDir(t, m, "/")
	mustWriteAt(t, f, cur, 0)
	return m, old, cur
}

func TestMemUnsyncedBlockSurvival(t *testing.T) {
	const nblocks = 64
	m, old, cur := setupUnsynced(t, nblocks)
	rng := func() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

	got := readFile(t, m.CrashClone(CrashOptions{Rand: rng(), UnsyncedBlockSurvival: 1}), "f")
	if !bytes.Equal(got, cur[:len(old)]) {
		t.Error("UnsyncedBlockSurvival=1: not every block within the synced size kept its new content")
	}
	got = readFile(t, m.CrashClone(CrashOptions{Rand: rng(), UnsyncedBlockSurvival: 0}), "f")
	if !bytes.Equal(got, old) {
		t.Error("UnsyncedBlockSurvival=0: some unsynced block survived")
	}
	got = readFile(t, m.CrashClone(CrashOptions{UnsyncedBlockSurvival: 1}), "f")
	if !bytes.Equal(got, old) {
		t.Error("nil Rand: some unsynced block survived")
	}

	half := readFile(t, m.CrashClone(CrashOptions{Rand: rng(), UnsyncedBlockSurvival: 0.5}), "f")
	var kept int
	for b := range nblocks {
		r := half[b*blockSize : (b+1)*blockSize]
		switch {
		case bytes.Equal(r, cur[b*blockSize:(b+1)*blockSize]):
			kept++
		case !bytes.Equal(r, old[b*blockSize:(b+1)*blockSize]):
			t.Fatalf("block %d is neither all old nor all new", b)
		}
	}
	if kept == 0 || kept == nblocks {
		t.Fatalf("UnsyncedBlockSurvival=0.5 kept %d of %d blocks", kept, nblocks)
	}
	again := readFile(t, m.CrashClone(CrashOptions{Rand: rng(), UnsyncedBlockSurvival: 0.5}), "f")
	if !bytes.Equal(half, again) {
		t.Fatal("the same seed gave two different crashes")
	}
}

func TestMemTornLastWrite(t *testing.T) {
	m := NewMem()
	old := pattern(8*blockSize, 1)
	f := memWrite(t, m, "f", old, true)
	other := memWrite(t, m, "other", old, true)
	mustSyncDir(t, m, "/")
	// An earlier unsynced write, to another file, then the last one.
	mustWriteAt(t, other, pattern(blockSize, 3), 0)
	lo, hi := 3*blockSize-1024, 5*blockSize+512
	mustWriteAt(t, f, pattern(hi-lo, 2), int64(lo))
	cur := readFile(t, m, "f")

	var sawMix bool
	for seed := range uint64(20) {
		c := m.CrashClone(CrashOptions{Rand: rand.New(rand.NewPCG(seed, 0)), TornLastWrite: true})
		if got := readFile(t, c, "other"); !bytes.Equal(got, old) {
			t.Fatal("a write that was not the last one was torn")
		}
		got := readFile(t, c, "f")
		if !bytes.Equal(got[:lo], old[:lo]) || !bytes.Equal(got[hi:], old[hi:]) {
			t.Fatal("bytes outside the last write changed")
		}
		var nOld, nNew int
		for s := lo; s < hi; s += sectorSize {
			switch r := got[s : s+sectorSize]; {
			case bytes.Equal(r, old[s:s+sectorSize]):
				nOld++
			case bytes.Equal(r, cur[s:s+sectorSize]):
				nNew++
			default:
				t.Fatalf("seed %d: sector at %d is neither all old nor all new", seed, s)
			}
		}
		sawMix = sawMix || (nOld > 0 && nNew > 0)
	}
	if !sawMix {
		t.Fatal("no seed tore the last write into a mix of old and new sectors")
	}
}

func TestMemTornAfterSurvival(t *testing.T) {
	m, old, cur := setupUnsynced(t, 4)
	c := m.CrashClone(CrashOptions{
		Rand:                  rand.New(rand.NewPCG(7, 7)),
		UnsyncedBlockSurvival: 1,
		TornLastWrite:         true,
	})
	got := readFile(t, c, "f")
	var nOld int
	for s := 0; s < len(old); s += sectorSize {
		if bytes.Equal(got[s:s+sectorSize], old[s:s+sectorSize]) {
			nOld++
		} else if !bytes.Equal(got[s:s+sectorSize], cur[s:s+sectorSize]) {
			t.Fatalf("sector at %d is neither all old nor all new", s)
		}
	}
	if nOld == 0 {
		t.Fatal("tearing after full block survival brought back no old sector")
	}
}

// TestMemMatchesModel drives one file with random writes, truncates,
// allocates, syncs and crashes, and checks it against a plain byte slice
// model of the current and synced content.
func TestMemMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 42))
	m := NewMem()
	f := memWrite(t, m, "f", nil, true)
	mustSyncDir(t, m, "/")
	var cur, synced []byte
	grow := func(b []byte, n int) []byte {
		if n <= len(b) {
			return b[:n]
		}
		return append(b, make([]byte, n-len(b))...)
	}
	for i := range 3000 {
		switch op := rng.IntN(10); {
		case op < 5:
			off, n := rng.IntN(6*blockSize), rng.IntN(2*blockSize)
			p := pattern(n, byte(i))
			mustWriteAt(t, f, p, int64(off))
			if off+n > len(cur) {
				cur = grow(cur, off+n)
			}
			copy(cur[off:], p)
		case op == 5:
			n := rng.IntN(7 * blockSize)
			if err := f.Truncate(int64(n)); err != nil {
				t.Fatal(err)
			}
			cur = grow(cur, n)
		case op == 6:
			off, n := rng.IntN(6*blockSize), 1+rng.IntN(blockSize)
			if err := f.Allocate(int64(off), int64(n)); err != nil {
				t.Fatal(err)
			}
			if off+n > len(cur) {
				cur = grow(cur, off+n)
			}
		case op == 7:
			if err := f.Sync(); err != nil {
				t.Fatal(err)
			}
			synced = append(synced[:0], cur...)
		case op == 8:
			if got := readFile(t, m.CrashClone(CrashOptions{}), "f"); !bytes.Equal(got, synced) {
				t.Fatalf("step %d: crash image differs from the synced model", i)
			}
		default:
			if got := readFile(t, m, "f"); !bytes.Equal(got, cur) {
				t.Fatalf("step %d: content differs from the model", i)
			}
		}
	}
}
