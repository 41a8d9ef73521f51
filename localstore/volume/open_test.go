package volume_test

import (
	"errors"
	"math/rand/v2"
	"testing"

	"mapstore/internal/vfs"
	"mapstore/localstore/volume"
)

func TestOpenFormatsOnceAndRefusesForeignDevices(t *testing.T) {
	mem := vfs.NewMem()
	newDevice(t, mem)
	g, err := openVolume(mem)
	if err != nil {
		t.Fatal(err)
	}
	id := g.v.ID()
	total, _ := g.v.Blocks()
	g.close()
	g, err = openVolume(mem)
	if err != nil {
		t.Fatal(err)
	}
	if g.v.ID() != id {
		t.Fatal("reopening formatted the device again")
	}
	if n, _ := g.v.Blocks(); n != total {
		t.Fatalf("reopened with %d blocks, formatted with %d", n, total)
	}
	g.close()

	// A device that holds something else is refused, not formatted.
	foreign := vfs.NewMem()
	newDevice(t, foreign)
	f, _ := foreign.OpenReadWrite("/dev")
	f.WriteAt([]byte("some other data"), 0)
	f.Sync()
	f.Close()
	if _, err := openVolume(foreign); !errors.Is(err, volume.ErrNotFormatted) {
		t.Fatalf("opening a foreign device: %v, want ErrNotFormatted", err)
	}

	// A damaged superblock with a journal present is refused.
	f, _ = mem.OpenReadWrite("/dev")
	f.WriteAt([]byte{0xff}, 20)
	f.Sync()
	f.Close()
	if _, err := openVolume(mem); !errors.Is(err, volume.ErrCorrupt) {
		t.Fatalf("opening a damaged volume: %v, want ErrCorrupt", err)
	}
}

// TestFormatCutShort: a crash while the superblock is written (torn, or
// lost) leaves no journal, and the next Open formats again.
func TestFormatCutShort(t *testing.T) {
	mem := vfs.NewMem()
	newDevice(t, mem)
	var clones []*vfs.MemFS
	rng := rand.New(rand.NewPCG(5, 6))
	fs := vfs.NewErrorFS(mem, vfs.InjectorFunc(func(op vfs.Op) error {
		if op.Kind.Mutates() {
			clones = append(clones, mem.CrashClone(vfs.CrashOptions{}),
				mem.CrashClone(vfs.CrashOptions{Rand: rng, UnsyncedBlockSurvival: 0.5, TornLastWrite: true}))
		}
		return nil
	}))
	g, err := openVolume(fs)
	if err != nil {
		t.Fatal(err)
	}
	g.close()
	if len(clones) < 3 {
		t.Fatalf("only %d crash points while formatting", len(clones))
	}
	for i, c := range clones {
		g, err := openVolume(c)
		if err != nil {
			t.Fatalf("crash point %d: %v", i, err)
		}
		g.close()
	}
}
