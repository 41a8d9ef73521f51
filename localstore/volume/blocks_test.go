package volume_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"mapstore/internal/vfs"
	"mapstore/localstore/volume"
)

// TestReadBlocksAnySlice writes objects that span several runs (so their
// runs wrap within their groups and land in different groups) and reads
// random slices of them, including partial last blocks.
func TestReadBlocksAnySlice(t *testing.T) {
	mem := vfs.NewMem()
	newDevice(t, mem)
	g, err := openVolume(mem)
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	rng := rand.New(rand.NewPCG(1, 2))
	objs := map[uint64][]byte{}
	tx := g.v.Begin()
	for obj := uint64(volume.FirstObject); obj < volume.FirstObject+3; obj++ {
		b := make([]byte, (2*tRun+5)*volume.BlockSize)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if err := g.v.WriteBlocks(tx, obj, 0, b); err != nil {
			t.Fatal(err)
		}
		objs[obj] = b
	}
	if err := g.v.Commit(tx); err != nil {
		t.Fatal(err)
	}
	for range 500 {
		obj := volume.FirstObject + uint64(rng.IntN(3))
		want := objs[obj]
		blocks := len(want) / volume.BlockSize
		first := rng.IntN(blocks)
		n := 1 + rng.IntN((blocks-first)*volume.BlockSize)
		got := make([]byte, n)
		if err := g.v.ReadBlocks(obj, uint64(first), got); err != nil {
			t.Fatal(err)
		}
		if lo := first * volume.BlockSize; !bytes.Equal(got, want[lo:lo+n]) {
			t.Fatalf("object %d, %d bytes from block %d: wrong bytes", obj, n, first)
		}
	}
	if err := g.v.ReadBlocks(volume.FirstObject, uint64(2*tRun+4), make([]byte, 2*volume.BlockSize)); !errors.Is(err, volume.ErrNotMapped) {
		t.Fatalf("reading past the object's end: %v, want ErrNotMapped", err)
	}
}
