package localstore

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"mapstore/internal/vfs"
	"mapstore/s3api"
)

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func usedBlocks(s *Store) int64 {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	_, used := s.vol.Blocks()
	return used
}

// tempStore opens a store of capacity bytes in a temporary directory,
// closed when the test ends, with the buckets named.
func tempStore(t *testing.T, capacity int64, inlineMax int, buckets ...string) *Store {
	t.Helper()
	s, err := Open(Options{Dir: t.TempDir(), Capacity: capacity, JournalSize: 4 << 20, InlineMax: inlineMax})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, b := range buckets {
		if err := s.CreateBucket(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// waitUsed waits for the reclaimer to bring the blocks in use to want.
func waitUsed(t *testing.T, s *Store, want int64) {
	t.Helper()
	for i := 0; usedBlocks(s) != want; i++ {
		if i == 12000 { // a minute
			t.Fatalf("%d blocks in use, want %d: the released body was not freed", usedBlocks(s), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSnapshotOutlivesOverwriteAndDelete opens a GET of a streamed object,
// overwrites and deletes the key while the GET reads, and checks that the
// GET reads the old bytes whole, that their blocks stay in use until it
// closes, and are freed then. A crash while the reader holds them leaves
// them unreferenced: the next Open frees them.
func TestSnapshotOutlivesOverwriteAndDelete(t *testing.T) {
	withChunkSize(t, 16<<10)
	mem := vfs.NewMem()
	s, err := Open(crashOptions(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	if err := s.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	base := usedBlocks(s)
	old := randBytes(rng, 100<<10)
	if _, err := s.PutObject(ctx, "b", "k", s3api.ObjectMeta{}, bytes.NewReader(old), int64(len(old)), s3api.WriteConditions{}); err != nil {
		t.Fatal(err)
	}
	withOld := usedBlocks(s)
	if withOld-base < int64(len(old))/4096 {
		t.Fatalf("a %d-byte body added %d blocks", len(old), withOld-base)
	}
	o, err := s.GetObject(ctx, "b", "k", s3api.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 1000)
	if _, err := io.ReadFull(o.Body, first); err != nil {
		t.Fatal(err)
	}
	nw := randBytes(rng, 50<<10)
	if _, err := s.PutObject(ctx, "b", "k", s3api.ObjectMeta{}, bytes.NewReader(nw), int64(len(nw)), s3api.WriteConditions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteObject(ctx, "b", "k"); err != nil {
		t.Fatal(err)
	}
	if got := usedBlocks(s); got != withOld {
		t.Fatalf("%d blocks in use while the old body is read, want %d (the old body's blocks freed under a reader, or the new one's kept)", got, withOld)
	}
	// A crash now: the old body is referenced by nothing durable.
	clone := mem.CrashClone(vfs.CrashOptions{})
	rest, err := io.ReadAll(o.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got := append(first, rest...); !bytes.Equal(got, old) {
		t.Fatalf("the snapshot read %d bytes that differ from the %d it opened", len(got), len(old))
	}
	o.Close()
	waitUsed(t, s, base)

	s2, err := Open(crashOptions(clone))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got := usedBlocks(s2); got != base {
		t.Fatalf("after a crash with a reader open, %d blocks in use, want %d: unreferenced blocks not freed at open", got, base)
	}
	if _, err := s2.HeadObject(ctx, "b", "k"); err != s3api.ErrNoSuchKey {
		t.Fatalf("HEAD of the deleted key after the crash: %v", err)
	}
}

// TestConcurrentReadsDuringWrites runs readers of a few keys while writers
// overwrite and delete them: every GET returns, whole, one of the bodies
// written to that key (never a mix, never a torn read), and when all is
// done no block is held by nothing.
func TestConcurrentReadsDuringWrites(t *testing.T) {
	withChunkSize(t, 16<<10)
	s := tempStore(t, 64<<20, 2<<10, "b")
	ctx := context.Background()
	base := usedBlocks(s)
	// Body v of key k: bytes derived from (k, v), with v in its first 8 bytes.
	body := func(k, v int) []byte {
		rng := rand.New(rand.NewPCG(uint64(k), uint64(v)))
		b := randBytes(rng, 1+rng.IntN(60<<10))
		if len(b) < 16 {
			b = append(b, make([]byte, 16)...)
		}
		b[0], b[1], b[2] = byte(k), byte(v>>8), byte(v)
		return b
	}
	keys := []string{"k0", "k1", "k2"}
	done := make(chan struct{})
	errc := make(chan error, 16)
	for w := range 2 {
		go func() {
			defer func() { errc <- nil }()
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			for v := 1; v < 150; v++ {
				k := rng.IntN(len(keys))
				if rng.IntN(5) == 0 {
					s.DeleteObject(ctx, "b", keys[k])
					continue
				}
				b := body(k, v*2+w)
				if _, err := s.PutObject(ctx, "b", keys[k], s3api.ObjectMeta{}, bytes.NewReader(b), int64(len(b)), s3api.WriteConditions{}); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	for r := range 3 {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(r), 7))
			for {
				select {
				case <-done:
					errc <- nil
					return
				default:
				}
				k := rng.IntN(len(keys))
				o, err := s.GetObject(ctx, "b", keys[k], s3api.GetOptions{})
				if err == s3api.ErrNoSuchKey {
					continue
				}
				if err != nil {
					errc <- err
					return
				}
				got, err := io.ReadAll(o.Body)
				o.Close()
				if err != nil {
					errc <- err
					return
				}
				if want := body(int(got[0]), int(got[1])<<8|int(got[2])); int(got[0]) != k || !bytes.Equal(got, want) {
					errc <- io.ErrUnexpectedEOF
					t.Errorf("GET %s returned %d bytes that are no body written to it", keys[k], len(got))
					return
				}
			}
		}()
	}
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	for range 3 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range keys {
		s.DeleteObject(ctx, "b", k)
	}
	waitUsed(t, s, base)
}
