package localstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"mapstore/s3api"
)

// TestApplyIsIdempotent applies batches with explicit indexes, replays
// them after a restart, and checks that a batch at or below the applied
// index is skipped: replaying a raft log applies each entry once.
func TestApplyIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, Capacity: 64 << 20, JournalSize: 4 << 20}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	b1 := &Batch{Ops: []Op{{Kind: OpCreateBucket, Bucket: "b", Time: 1}}}
	b2 := &Batch{Ops: []Op{
		{Kind: OpPutObject, Bucket: "b", Key: "k", Time: 2, Size: 3, Inline: []byte("one"), MD5: md5.Sum([]byte("one"))},
		{Kind: OpPutObject, Bucket: "b", Key: "k", Time: 3, Size: 3, Inline: []byte("two"), MD5: md5.Sum([]byte("two")),
			Cond: s3api.WriteConditions{IfNoneMatch: "*"}},
		{Kind: OpCreateBucket, Bucket: "b", Time: 4},
	}}
	if res, err := s.Apply(b1, 10); err != nil || res[0].Err != nil {
		t.Fatalf("Apply 10: %v %v", res, err)
	}
	res, err := s.Apply(b2, 11)
	if err != nil {
		t.Fatal(err)
	}
	// Ops see the batch's earlier ops: the second put's condition fails.
	if res[0].Err != nil || res[1].Err != s3api.ErrPreconditionFailed || res[2].Err != s3api.ErrBucketAlreadyOwnedByYou {
		t.Fatalf("results %+v", res)
	}
	if res, err := s.Apply(&Batch{Ops: []Op{{Kind: OpDeleteObject, Bucket: "b", Key: "k"}}}, 11); res != nil || err != nil {
		t.Fatalf("a batch at the applied index: %v %v, want skipped", res, err)
	}
	s.Close()

	s, err = Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Applied() != 11 {
		t.Fatalf("applied %d after restart, want 11", s.Applied())
	}
	for i, b := range []*Batch{b1, b2} {
		if res, err := s.Apply(b, uint64(10+i)); res != nil || err != nil {
			t.Fatalf("replayed batch %d: %v %v, want skipped", 10+i, res, err)
		}
	}
	o, err := s.GetObject(context.Background(), "b", "k", s3api.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if got, _ := io.ReadAll(o.Body); string(got) != "one" {
		t.Fatalf("object holds %q, want %q", got, "one")
	}
	if res, err := s.Apply(&Batch{Ops: []Op{{Kind: OpDeleteObject, Bucket: "b", Key: "k"}}}, 12); err != nil || res[0].Err != nil {
		t.Fatalf("Apply 12: %v %v", res, err)
	}
}

// TestManyPartsChainRecords completes an upload of 3,000 parts, each a
// copy of the same 5 MiB object (parts share its data: nothing is
// copied), so the object's record holds 3,000 extents, far more than one
// allocator object: it is stored as a chain. After a restart the object
// reads back by part and by range.
func TestManyPartsChainRecords(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, Capacity: 64 << 20, JournalSize: 16 << 20}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	src := randBytes(rng, s3api.MinPartSize)
	if err := s.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	info, err := s.PutObject(ctx, "b", "src", s3api.ObjectMeta{}, bytes.NewReader(src), int64(len(src)), s3api.WriteConditions{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateMultipartUpload(ctx, "b", "big", s3api.ObjectMeta{ContentType: "x/y"})
	if err != nil {
		t.Fatal(err)
	}
	e := s.pub.Load().st.buckets["b"].object("src")
	const parts = 3000
	sum := md5.Sum(src)
	var b Batch
	var done []s3api.CompletedPart
	for n := 1; n <= parts; n++ {
		b.Ops = append(b.Ops, Op{Kind: OpPutPart, Bucket: "b", Key: "big", UploadID: id, PartNumber: n, Time: 1,
			Size: int64(len(src)), MD5: sum,
			Src: &CopySrc{Bucket: "b", Key: "src", Version: e.version, Start: 0, Length: int64(len(src))}})
		done = append(done, s3api.CompletedPart{PartNumber: n, ETag: info.ETag})
	}
	res, err := s.Apply(&b, s.Applied()+1)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	big, err := s.CompleteMultipartUpload(ctx, "b", "big", id, done, s3api.WriteConditions{})
	if err != nil {
		t.Fatal(err)
	}
	if recs := s.pub.Load().st.buckets["b"].object("big").recs; len(recs) < 2 {
		t.Fatalf("a record of %d extents in %d allocator objects: not chained", parts, len(recs))
	}
	s.Close()

	s, err = Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h, err := s.HeadObject(ctx, "b", "big")
	if err != nil {
		t.Fatal(err)
	}
	if h.ETag != big.ETag || h.PartsCount != parts || h.Size != parts*int64(len(src)) || h.Meta.ContentType != "x/y" {
		t.Fatalf("after restart: %+v, want ETag %s, %d parts", h, big.ETag, parts)
	}
	o, err := s.GetObject(ctx, "b", "big", s3api.GetOptions{PartNumber: 2999})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(o.Body)
	o.Close()
	if !bytes.Equal(got, src) || o.Range.Start != 2998*int64(len(src)) {
		t.Fatalf("part 2999: %d bytes at %d", len(got), o.Range.Start)
	}
	rng2 := &s3api.ByteRange{First: int64(len(src)) - 10, Last: int64(len(src)) + 9}
	o, err = s.GetObject(ctx, "b", "big", s3api.GetOptions{Range: rng2})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(o.Body)
	o.Close()
	if want := append(append([]byte{}, src[len(src)-10:]...), src[:10]...); !bytes.Equal(got, want) {
		t.Fatalf("a range across two parts: %x, want %x", got, want)
	}
	// Deleting both objects frees the shared data.
	base := usedBlocks(s)
	s.DeleteObject(ctx, "b", "src")
	if usedBlocks(s) < base-1 {
		t.Fatal("the source's data was freed while the parts still use it")
	}
	s.DeleteObject(ctx, "b", "big")
	if got := usedBlocks(s); got > base-int64(len(src))/4096 {
		t.Fatalf("%d blocks in use after deleting everything, %d before: the shared data was not freed", got, base)
	}
}

// TestCapacitySizesNewDevicesOnly reopens a store with a larger capacity:
// the existing device keeps its size.
func TestCapacitySizesNewDevicesOnly(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, Capacity: 64 << 20, JournalSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(Options{Dir: dir, Capacity: 128 << 20, JournalSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(filepath.Join(dir, DeviceFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != 64<<20 {
		t.Fatalf("device of %d bytes after reopening with a larger capacity, want %d", fi.Size(), 64<<20)
	}
}

// failReader fails the test if it is read.
type failReader struct{ t *testing.T }

func (r failReader) Read([]byte) (int, error) {
	r.t.Error("the body of an upload that cannot fit was read")
	return 0, io.ErrUnexpectedEOF
}

// TestStorageFull fills a small device: an upload larger than the free
// space is refused before its body is read, one that runs out of space
// midway is refused and leaves nothing behind, and the space comes back
// when objects are deleted.
func TestStorageFull(t *testing.T) {
	s := tempStore(t, 16<<20, 0, "b")
	ctx := context.Background()
	base := usedBlocks(s)
	if _, err := s.PutObject(ctx, "b", "huge", s3api.ObjectMeta{}, failReader{t}, 64<<20, s3api.WriteConditions{}); err != s3api.ErrStorageFull {
		t.Fatalf("a 64 MiB upload to a 16 MiB device: %v, want %v", err, s3api.ErrStorageFull)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	body := randBytes(rng, 5<<20)
	n := 0
	for ; n < 10; n++ {
		_, err := s.PutObject(ctx, "b", fmt.Sprint(n), s3api.ObjectMeta{}, bytes.NewReader(body), int64(len(body)), s3api.WriteConditions{})
		if err == s3api.ErrStorageFull {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if n == 0 || n == 10 {
		t.Fatalf("%d objects of 5 MiB fit on a 16 MiB device", n)
	}
	if _, err := s.HeadObject(ctx, "b", fmt.Sprint(n)); err != s3api.ErrNoSuchKey {
		t.Fatalf("the refused upload: HEAD says %v", err)
	}
	for i := range n {
		if err := s.DeleteObject(ctx, "b", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := usedBlocks(s); got != base {
		t.Fatalf("%d blocks in use after deleting everything, %d before", got, base)
	}
	if _, err := s.PutObject(ctx, "b", "again", s3api.ObjectMeta{}, bytes.NewReader(body), int64(len(body)), s3api.WriteConditions{}); err != nil {
		t.Fatalf("after deleting, an upload: %v", err)
	}
}

// gatedReader reads r, stopping once after gate bytes until open is closed.
type gatedReader struct {
	r      io.Reader
	gate   int
	opened chan struct{}
	at     chan struct{}
	n      int
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if g.n == g.gate {
		close(g.at)
		<-g.opened
		g.gate = -1
	}
	if g.gate > 0 && g.n+len(p) > g.gate {
		p = p[:g.gate-g.n]
	}
	n, err := g.r.Read(p)
	g.n += n
	return n, err
}

// TestStorageFullMidway starts an upload that fits, fills the device with
// another while it waits, and lets it go on: it runs out of space midway,
// is refused, and leaves neither an object nor a block behind.
func TestStorageFullMidway(t *testing.T) {
	s := tempStore(t, 16<<20, 0, "b")
	ctx := context.Background()
	base := usedBlocks(s)
	rng := rand.New(rand.NewPCG(3, 4))
	first := randBytes(rng, 8<<20)
	g := &gatedReader{r: bytes.NewReader(first), gate: 1 << 20, opened: make(chan struct{}), at: make(chan struct{})}
	errc := make(chan error, 1)
	go func() {
		_, err := s.PutObject(ctx, "b", "first", s3api.ObjectMeta{}, g, int64(len(first)), s3api.WriteConditions{})
		errc <- err
	}()
	<-g.at
	second := randBytes(rng, int(s.freeBytes())-2<<20)
	if _, err := s.PutObject(ctx, "b", "second", s3api.ObjectMeta{}, bytes.NewReader(second), int64(len(second)), s3api.WriteConditions{}); err != nil {
		t.Fatal(err)
	}
	close(g.opened)
	if err := <-errc; err != s3api.ErrStorageFull {
		t.Fatalf("the upload that ran out of space: %v, want %v", err, s3api.ErrStorageFull)
	}
	if _, err := s.HeadObject(ctx, "b", "first"); err != s3api.ErrNoSuchKey {
		t.Fatalf("the refused upload: HEAD says %v", err)
	}
	if err := s.DeleteObject(ctx, "b", "second"); err != nil {
		t.Fatal(err)
	}
	if got := usedBlocks(s); got != base {
		t.Fatalf("%d blocks in use after the refusal and a delete, %d before: the refused upload's blocks leaked", got, base)
	}
}
