package device

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestFileDevice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev")
	if _, err := Open(path, Options{}); err == nil {
		t.Fatal("a new device without a size was accepted")
	}
	d, err := Open(path, Options{Size: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != KindFile || d.Size != 1<<20 || d.Volatile || d.MapSync {
		t.Fatalf("got %+v, want a 1 MiB file device", d)
	}
	if _, err := d.File.WriteAt([]byte("durable"), 4096); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	d.Close()

	// Reopened without a size it keeps its size and contents; with a
	// larger one it grows.
	d, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 7)
	if _, err := d.File.ReadAt(got, 4096); err != nil || string(got) != "durable" {
		t.Fatalf("reopened device reads %q, %v", got, err)
	}
	if d.Size != 1<<20 {
		t.Fatalf("reopened size %d", d.Size)
	}
	d.Close()
	d, err = Open(path, Options{Size: 2 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if fi, _ := os.Stat(path); d.Size != 2<<20 || fi.Size() != 2<<20 {
		t.Fatalf("grown device: Size %d, file %d", d.Size, fi.Size())
	}
}

func TestWrongKindRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev")
	if _, err := Open(path, Options{Kind: KindBlock, Size: 1 << 20}); err == nil {
		t.Fatal("a regular file was opened as a block device")
	}
}

func TestTmpfsIsEmulatedPMEM(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("tmpfs detection is Linux-only")
	}
	dir, err := os.MkdirTemp("/dev/shm", "mapstore-device-test")
	if err != nil {
		t.Skipf("no /dev/shm here: %v", err)
	}
	defer os.RemoveAll(dir)
	d, err := Open(filepath.Join(dir, "dev"), Options{Size: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Kind != KindPMEM || !d.Volatile {
		t.Fatalf("device on tmpfs: %+v, want volatile pmem", d)
	}
	if d.MapSync {
		t.Fatal("tmpfs claims MAP_SYNC support")
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
}

// TestBlockDevice attaches a loop device to an image (root and losetup
// needed; skipped otherwise) and opens it as a block device.
func TestBlockDevice(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("needs root on Linux for a loop device")
	}
	if _, err := exec.LookPath("losetup"); err != nil {
		t.Skip("losetup not installed")
	}
	img := filepath.Join(t.TempDir(), "img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 8<<20); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "-f", "--show", img).Output()
	if err != nil {
		t.Skipf("cannot attach a loop device here: %v", err)
	}
	loop := strings.TrimSpace(string(out))
	defer exec.Command("losetup", "-d", loop).Run()

	d, err := Open(loop, Options{Size: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != KindBlock || d.Size != 8<<20 {
		t.Fatalf("loop device: %+v, want an 8 MiB block device", d)
	}
	if _, err := d.File.WriteAt([]byte("block"), 0); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if _, err := Open(loop, Options{Size: 16 << 20}); !errors.Is(err, ErrTooSmall) {
		t.Fatalf("asking a 16 MiB size of an 8 MiB device: %v, want ErrTooSmall", err)
	}
	if _, err := Open(loop, Options{Kind: KindFile}); err == nil {
		t.Fatal("a block device was opened as a file")
	}
}

func TestParseKind(t *testing.T) {
	for _, k := range []Kind{KindAuto, KindFile, KindBlock, KindPMEM} {
		if got, err := ParseKind(k.String()); err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	if _, err := ParseKind("tape"); err == nil {
		t.Error("ParseKind accepted tape")
	}
}
