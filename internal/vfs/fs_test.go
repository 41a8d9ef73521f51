package vfs

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// implementations returns each FS under test with a directory to work in.
func implementations(t *testing.T) map[string]func(t *testing.T) (FS, string) {
	return map[string]func(t *testing.T) (FS, string){
		"os":  func(t *testing.T) (FS, string) { return Default, t.TempDir() },
		"mem": func(t *testing.T) (FS, string) { return NewMem(), "/store" },
	}
}

// forEachFS runs fn against every implementation, in a directory of its
// own that exists.
func forEachFS(t *testing.T, fn func(t *testing.T, fs FS, dir string)) {
	for name, mk := range implementations(t) {
		t.Run(name, func(t *testing.T) {
			fs, dir := mk(t)
			if err := fs.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			fn(t, fs, dir)
		})
	}
}

// pattern returns n bytes that differ from position to position and seed
// to seed.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7+i/251) ^ seed
	}
	return b
}

// readFile returns the whole content of a file.
func readFile(t *testing.T, fs FS, name string) []byte {
	t.Helper()
	f, err := fs.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, size)
	if n, err := f.ReadAt(b, 0); n != len(b) || (err != nil && err != io.EOF) {
		t.Fatalf("read %s: %d of %d bytes: %v", name, n, len(b), err)
	}
	return b
}

func TestWriteVWritesConcatenation(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs FS, dir string) {
		f, err := fs.Create(filepath.Join(dir, "f"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		// More buffers than one pwritev takes, of uneven sizes, some empty.
		var bufs [][]byte
		var want []byte
		for i := range 2500 {
			b := pattern(i%13, byte(i))
			bufs = append(bufs, b)
			want = append(want, b...)
		}
		saved := slices.Clone(bufs)
		n, err := f.WriteV(bufs, 100)
		if err != nil || n != len(want) {
			t.Fatalf("WriteV = %d, %v; want %d, nil", n, err, len(want))
		}
		for i := range bufs {
			if len(bufs[i]) != len(saved[i]) || (len(bufs[i]) > 0 && &bufs[i][0] != &saved[i][0]) {
				t.Fatalf("WriteV changed the caller's buffer %d", i)
			}
		}
		got := make([]byte, len(want)+100)
		if _, err := f.ReadAt(got, 0); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[:100], make([]byte, 100)) || !bytes.Equal(got[100:], want) {
			t.Fatal("WriteV did not write the concatenation of the buffers at the offset")
		}
	})
}

func TestReadAtPastEOF(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs FS, dir string) {
		f, err := fs.Create(filepath.Join(dir, "f"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteAt([]byte("hello"), 0); err != nil {
			t.Fatal(err)
		}
		p := make([]byte, 10)
		n, err := f.ReadAt(p, 2)
		if n != 3 || err != io.EOF || string(p[:n]) != "llo" {
			t.Fatalf("ReadAt = %d %q, %v; want 3 \"llo\", io.EOF", n, p[:n], err)
		}
		if n, err := f.ReadAt(p, 50); n != 0 || err != io.EOF {
			t.Fatalf("ReadAt past end = %d, %v; want 0, io.EOF", n, err)
		}
	})
}

func TestWriteAtPastEndZeroFills(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs FS, dir string) {
		f, err := fs.Create(filepath.Join(dir, "f"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteAt([]byte("ab"), 0); err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte("z"), 9000); err != nil {
			t.Fatal(err)
		}
		got := readFile(t, fs, filepath.Join(dir, "f"))
		want := make([]byte, 9001)
		copy(want, "ab")
		want[9000] = 'z'
		if !bytes.Equal(got, want) {
			t.Fatal("the gap left by a write past the end does not read as zeros")
		}
	})
}

func TestTruncate(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs FS, dir string) {
		name := filepath.Join(dir, "f")
		f, err := fs.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteAt(pattern(10000, 1), 0); err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(5000); err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(12000); err != nil {
			t.Fatal(err)
		}
		want := append(pattern(10000, 1)[:5000], make([]byte, 7000)...)
		if got := readFile(t, fs, name); !bytes.Equal(got, want) {
			t.Fatal("shrinking then growing a file does not zero the regrown part")
		}
	})
}

func TestAllocateExtendsSize(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs FS, dir string) {
		f, err := fs.Create(filepath.Join(dir, "f"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteAt([]byte("abc"), 0); err != nil {
			t.Fatal(err)
		}
		err = f.Allocate(4096, 1<<20)
		if errors.Is(err, ErrUnsupported) {
			t.Skipf("no preallocation here: %v", err)
		}
		if err != nil {
			t.Fatal(err)
		}
		if size, err := f.Size(); err != nil || size != 4096+1<<20 {
			t.Fatalf("Size after Allocate = %d, %v; want %d", size, err, 4096+1<<20)
		}
		// Allocating inside the file changes neither size nor data.
		if err := f.Allocate(0, 10); err != nil {
			t.Fatal(err)
		}
		p := make([]byte, 4)
		if _, err := f.ReadAt(p, 0); err != nil || string(p) != "abc\x00" {
			t.Fatalf("data after Allocate = %q, %v", p, err)
		}
	})
}

func TestLockTwiceFails(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs FS, dir string) {
		name := filepath.Join(dir, "LOCK")
		l, err := fs.Lock(name)
		if errors.Is(err, ErrUnsupported) {
			t.Skip(err)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fs.Lock(name); !errors.Is(err, ErrLocked) {
			t.Fatalf("second Lock: %v; want ErrLocked", err)
		}
		if _, err := fs.Stat(name); err != nil {
			t.Fatalf("Lock did not create the file: %v", err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l2, err := fs.Lock(name)
		if err != nil {
			t.Fatalf("Lock after release: %v", err)
		}
		l2.Close()
	})
}

func TestNamespaceErrors(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs FS, dir string) {
		if _, err := fs.Open(filepath.Join(dir, "missing")); !errors.Is(err, ErrNotExist) {
			t.Errorf("Open of a missing file: %v; want ErrNotExist", err)
		}
		if _, err := fs.Stat(filepath.Join(dir, "missing")); !errors.Is(err, ErrNotExist) {
			t.Errorf("Stat of a missing file: %v; want ErrNotExist", err)
		}
		if _, err := fs.Create(filepath.Join(dir, "nodir", "f")); !errors.Is(err, ErrNotExist) {
			t.Errorf("Create in a missing directory: %v; want ErrNotExist", err)
		}
		if err := fs.Remove(filepath.Join(dir, "missing")); !errors.Is(err, ErrNotExist) {
			t.Errorf("Remove of a missing file: %v; want ErrNotExist", err)
		}
		sub := filepath.Join(dir, "sub")
		if err := fs.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := fs.Create(filepath.Join(sub, "f"))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := fs.Remove(sub); err == nil || !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) {
			t.Errorf("Remove of a non-empty directory: %v; want ENOTEMPTY", err)
		}
		if _, err := fs.Stat(sub); err != nil {
			t.Errorf("failed Remove removed the directory: %v", err)
		}
	})
}

func TestRenameListStat(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs FS, dir string) {
		a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		for _, d := range []string{a, b} {
			if err := fs.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for _, n := range []string{"z", "x", "y"} {
			f, err := fs.Create(filepath.Join(a, n))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteAt([]byte(n+n), 0); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
		if got, err := fs.List(a); err != nil || !slices.Equal(got, []string{"x", "y", "z"}) {
			t.Fatalf("List = %v, %v; want [x y z]", got, err)
		}
		// Across directories, replacing an existing file.
		if err := fs.Rename(filepath.Join(a, "x"), filepath.Join(b, "w")); err != nil {
			t.Fatal(err)
		}
		if err := fs.Rename(filepath.Join(a, "y"), filepath.Join(b, "w")); err != nil {
			t.Fatal(err)
		}
		if got, err := fs.List(a); err != nil || !slices.Equal(got, []string{"z"}) {
			t.Fatalf("List after renames = %v, %v; want [z]", got, err)
		}
		if got := readFile(t, fs, filepath.Join(b, "w")); string(got) != "yy" {
			t.Fatalf("renamed file holds %q; want \"yy\"", got)
		}
		fi, err := fs.Stat(filepath.Join(b, "w"))
		if err != nil || fi.Name() != "w" || fi.Size() != 2 || fi.IsDir() {
			t.Fatalf("Stat = %v, %v; want w, size 2, not a dir", fi, err)
		}
		if fi, err := fs.Stat(b); err != nil || !fi.IsDir() || fi.Name() != "b" {
			t.Fatalf("Stat of a directory = %v, %v", fi, err)
		}
	})
}

func TestCreateTruncatesExisting(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs FS, dir string) {
		name := filepath.Join(dir, "f")
		for _, data := range []string{"long content", "new"} {
			f, err := fs.Create(name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteAt([]byte(data), 0); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
		if got := readFile(t, fs, name); string(got) != "new" {
			t.Fatalf("after Create over an existing file: %q; want \"new\"", got)
		}
		f, err := fs.OpenReadWrite(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if size, _ := f.Size(); size != 3 {
			t.Fatalf("OpenReadWrite changed the size to %d", size)
		}
		ro, err := fs.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		if _, err := ro.WriteAt([]byte("x"), 0); err == nil {
			t.Fatal("write through a read-only file succeeded")
		}
	})
}

func TestReadVFillsBuffersInOrder(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs FS, dir string) {
		f, err := fs.Create(dir + "/f")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		want := pattern(10000, 3)
		if _, err := f.WriteAt(want, 0); err != nil {
			t.Fatal(err)
		}
		a, b, c := make([]byte, 100), make([]byte, 4000), make([]byte, 2900)
		n, err := f.ReadV([][]byte{a, b, c}, 1000)
		if err != nil || n != 7000 {
			t.Fatalf("ReadV: %d, %v", n, err)
		}
		if got := append(append(append([]byte{}, a...), b...), c...); !bytes.Equal(got, want[1000:8000]) {
			t.Fatal("ReadV did not fill the buffers with the file's bytes in order")
		}
		n, err = f.ReadV([][]byte{make([]byte, 500), make([]byte, 1000)}, 9000)
		if n != 1000 || !errors.Is(err, io.EOF) {
			t.Fatalf("ReadV across the end: %d, %v; want 1000, EOF", n, err)
		}
	})
}
