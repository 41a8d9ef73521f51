package localstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"mapstore/s3api"
)

// digest describes everything of a store that replicas must agree on:
// every bucket, object (version, size, ETag, metadata, the SHA-256 of its
// body), upload and part, the open data objects with their blocks, the
// applied index and the next data object id.
func digest(t testing.TB, s *Store) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	s.applyMu.Lock()
	fmt.Fprintf(&b, "applied %d next %d\n", s.applied, s.nextObj)
	var open []string
	for obj, o := range s.open {
		open = append(open, fmt.Sprintf("open %d v%d blocks %d\n", obj, o.version, s.blocks[obj]))
	}
	s.applyMu.Unlock()
	slices.Sort(open)
	b.WriteString(strings.Join(open, ""))
	st := s.pub.Load().st
	names := make([]string, 0, len(st.buckets))
	for n := range st.buckets {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		bk := st.buckets[n]
		fmt.Fprintf(&b, "bucket %s v%d %d\n", n, bk.version, bk.created)
		bk.objects.Ascend(func(e *objEntry) bool {
			if e.size > 64<<20 { // too long to read: its record says it all
				s.allocMu.RLock()
				r, err := s.readObjectRec(e.recs, e.version)
				s.allocMu.RUnlock()
				if err != nil {
					t.Fatalf("record of %s/%s: %v", n, e.key, err)
				}
				fmt.Fprintf(&b, "object %s v%d %+v\n", e.key, e.version, *r)
				return true
			}
			o, err := s.GetObject(ctx, n, e.key, s3api.GetOptions{})
			if err != nil {
				t.Fatalf("get %s/%s: %v", n, e.key, err)
			}
			h := sha256.New()
			if _, err := io.Copy(h, o.Body); err != nil {
				t.Fatalf("read %s/%s: %v", n, e.key, err)
			}
			o.Body.Close()
			fmt.Fprintf(&b, "object %s v%d %d %s %+v %x\n", e.key, e.version, o.Info.Size, o.Info.ETag, o.Info.Meta, h.Sum(nil))
			return true
		})
		bk.uploads.Ascend(func(u *uploadEntry) bool {
			fmt.Fprintf(&b, "upload %s %s v%d %+v\n", u.key, u.id, u.version, u.rec.Meta)
			u.parts.Ascend(func(p *partEntry) bool {
				fmt.Fprintf(&b, "part %d v%d %d %x %v %d\n", p.rec.Number, p.rec.Version, p.rec.Size, p.rec.MD5, p.rec.Extents, len(p.rec.Inline))
				return true
			})
			return true
		})
	}
	return b.String()
}

// fillForDump gives a store every kind of record and data: inline and
// streamed objects, a copy sharing its source's data, a completed
// multipart object, an upload in progress with parts, an open data object
// being written, a deleted object and a chained record.
func fillForDump(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	body := func(n int) []byte {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
		return p
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateBucket(ctx, "a"))
	must(s.CreateBucket(ctx, "empty"))
	meta := s3api.ObjectMeta{ContentType: "text/plain", UserMeta: map[string]string{"k": "v"}}
	for i, n := range []int{0, 100, 20 << 10, 3<<20 + 17} {
		p := body(n)
		_, err := s.PutObject(ctx, "a", fmt.Sprintf("obj%d", i), meta, bytes.NewReader(p), int64(n), s3api.WriteConditions{})
		must(err)
	}
	_, err := s.CopyObject(ctx, s3api.CopySource{Bucket: "a", Key: "obj3"}, s3api.CopyDestination{Bucket: "a", Key: "copy3"})
	must(err)
	must(s.DeleteObject(ctx, "a", "obj1"))
	id, err := s.CreateMultipartUpload(ctx, "a", "multi", meta)
	must(err)
	var parts []s3api.CompletedPart
	for n := 1; n <= 3; n++ {
		p := body(5<<20 + n)
		if n == 3 {
			p = body(1000)
		}
		info, err := s.UploadPart(ctx, "a", "multi", id, n, bytes.NewReader(p), int64(len(p)))
		must(err)
		parts = append(parts, s3api.CompletedPart{PartNumber: n, ETag: info.ETag})
	}
	_, err = s.CompleteMultipartUpload(ctx, "a", "multi", id, parts, s3api.WriteConditions{})
	must(err)
	id2, err := s.CreateMultipartUpload(ctx, "a", "pending", meta)
	must(err)
	_, err = s.UploadPart(ctx, "a", "pending", id2, 2, bytes.NewReader(body(70<<10)), 70<<10)
	must(err)
	_, err = s.UploadPartCopy(ctx, "a", "pending", id2, 5, s3api.CopySource{Bucket: "a", Key: "obj3"}, &s3api.ByteRange{First: 4096, Last: 2<<20 - 1})
	must(err)
	// A record chained over several allocator objects: many parts.
	id3, err := s.CreateMultipartUpload(ctx, "a", "many", meta)
	must(err)
	var many []s3api.CompletedPart
	// 2,100 parts copied from ranges of one object: the completed
	// record's extent list is larger than an allocator object.
	var ops []Op
	for n := 1; n <= 2100; n++ {
		ops = append(ops, Op{Kind: OpPutPart, Bucket: "a", Key: "many", UploadID: id3, PartNumber: n, Size: 5 << 20,
			Src: &CopySrc{Bucket: "a", Key: "multi", Version: versionOf(s, "a", "multi"), Start: int64(n), Length: 5 << 20}})
	}
	res, err := s.Apply(&Batch{Ops: ops}, s.Applied()+1)
	must(err)
	for i, r := range res {
		must(r.Err)
		many = append(many, s3api.CompletedPart{PartNumber: i + 1, ETag: r.Part.ETag})
	}
	_, err = s.CompleteMultipartUpload(ctx, "a", "many", id3, many, s3api.WriteConditions{})
	must(err)
	// An open data object, half written, as an upload on another node
	// leaves it.
	res, err = s.Apply(&Batch{Ops: []Op{{Kind: OpOpenData}}}, s.Applied()+1)
	must(err)
	obj := res[0].Obj
	_, err = s.Apply(&Batch{Ops: []Op{{Kind: OpWriteData, Obj: obj, Block: 0, Data: body(1 << 20)}}}, s.Applied()+1)
	must(err)
}

// TestDumpRestoreIsExact restores a dump into a new store and checks that
// the copy is the same store: the same objects, bytes, versions, open
// data objects and indexes, and that it decides the next batches exactly
// as the original does.
func TestDumpRestoreIsExact(t *testing.T) {
	src := openTestStore(t, Options{Capacity: 256 << 20})
	fillForDump(t, src)
	want := digest(t, src)

	d, err := src.Dump(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, d); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if int64(buf.Len()) != d.Size || d.Applied != src.Applied() {
		t.Fatalf("dump of %d bytes at %d, announced %d bytes at %d", buf.Len(), src.Applied(), d.Size, d.Applied)
	}
	dir := t.TempDir()
	dst, err := Restore(Options{Dir: dir, Capacity: 256 << 20, JournalSize: 8 << 20, Proposer: &applyNow{}}, bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if got := digest(t, dst); got != want {
		t.Fatalf("restored store differs:\n--- restored\n%s\n--- original\n%s", got, want)
	}

	// The same later batches decide the same way on both.
	open := src.OpenData()
	if len(open) != 1 {
		t.Fatalf("open data objects %v, want one", open)
	}
	var obj uint64
	for o := range open {
		obj = o
	}
	next := []*Batch{
		{Ops: []Op{{Kind: OpWriteData, Obj: obj, Block: 256, Data: bytes.Repeat([]byte{7}, 5000)}}},
		{Ops: []Op{
			{Kind: OpPutObject, Bucket: "a", Key: "fromopen", Size: 1<<20 + 5000, Obj: obj, Time: 9},
			{Kind: OpCopyObject, Bucket: "a", Key: "copy0", Time: 9, Src: &CopySrc{Bucket: "a", Key: "obj0", Version: versionOf(src, "a", "obj0"), Length: -1}},
			{Kind: OpOpenData},
			{Kind: OpDeleteObject, Bucket: "a", Key: "obj2"},
			{Kind: OpDeleteBucket, Bucket: "empty"},
		}},
	}
	for _, b := range next {
		i := src.Applied() + 1
		r1, err1 := src.Apply(b, i)
		r2, err2 := dst.Apply(b, i)
		if err1 != nil || err2 != nil || fmt.Sprint(r1) != fmt.Sprint(r2) {
			t.Fatalf("batch %d: original %v %v, restored %v %v", i, r1, err1, r2, err2)
		}
	}
	if a, b := digest(t, src), digest(t, dst); a != b {
		t.Fatalf("after the same batches the stores differ:\n--- restored\n%s\n--- original\n%s", b, a)
	}
}

func versionOf(s *Store, bucket, key string) uint64 {
	return s.pub.Load().st.buckets[bucket].object(key).version
}

// TestDumpIsConsistentUnderWrites reads a dump while other writers
// overwrite and delete every object it holds and drop its open data
// object: the restored copy is the state at the dump's index, byte for
// byte, because the dump's data stays pinned until it is closed.
func TestDumpIsConsistentUnderWrites(t *testing.T) {
	src := openTestStore(t, Options{Capacity: 256 << 20})
	fillForDump(t, src)
	want := digest(t, src)
	d, err := src.Dump(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Change everything while the dump waits to be read (its writer has
	// read ahead at most a buffer of records and one chunk of data).
	ctx := context.Background()
	res, err := src.ListObjects(ctx, "a", s3api.ListOptions{MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Objects {
		p := bytes.Repeat([]byte{0xee}, 2<<20)
		if _, err := src.PutObject(ctx, "a", o.Key, s3api.ObjectMeta{}, bytes.NewReader(p), int64(len(p)), s3api.WriteConditions{}); err != nil {
			t.Fatal(err)
		}
		if err := src.DeleteObject(ctx, "a", o.Key); err != nil {
			t.Fatal(err)
		}
	}
	for obj := range src.OpenData() {
		if _, err := src.Apply(&Batch{Ops: []Op{{Kind: OpDropData, Obj: obj}}}, src.Applied()+1); err != nil {
			t.Fatal(err)
		}
	}
	dst, err := Restore(Options{Dir: filepath.Join(t.TempDir(), "r"), Capacity: 256 << 20, JournalSize: 8 << 20, Proposer: &applyNow{}}, d)
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if got := digest(t, dst); got != want {
		t.Fatalf("restored store differs from the state dumped:\n--- restored\n%s\n--- dumped\n%s", got, want)
	}
}

// TestRestoreRefusesBadDumps checks that a dump with any byte changed, cut
// short, or with bytes added, is refused with ErrDump.
func TestRestoreRefusesBadDumps(t *testing.T) {
	src := openTestStore(t, Options{Capacity: 64 << 20})
	ctx := context.Background()
	if err := src.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	p := bytes.Repeat([]byte("x"), 40<<10)
	if _, err := src.PutObject(ctx, "b", "k", s3api.ObjectMeta{}, bytes.NewReader(p), int64(len(p)), s3api.WriteConditions{}); err != nil {
		t.Fatal(err)
	}
	d, err := src.Dump("")
	if err != nil {
		t.Fatal(err)
	}
	good, err := io.ReadAll(d)
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	try := func(name string, dump []byte) {
		t.Helper()
		s, err := Restore(Options{Dir: filepath.Join(t.TempDir(), "r"), Capacity: 64 << 20, JournalSize: 1 << 20}, bytes.NewReader(dump))
		if err == nil {
			s.Close()
			t.Fatalf("%s: restored", name)
		}
		if !errors.Is(err, ErrDump) {
			t.Fatalf("%s: %v, want ErrDump", name, err)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 40 {
		bad := slices.Clone(good)
		i := rng.IntN(len(bad))
		bad[i] ^= byte(1 + rng.IntN(255))
		try(fmt.Sprintf("byte %d changed", i), bad)
	}
	for _, n := range []int{0, 10, dumpHeaderLen, dumpHeaderLen + 3, len(good) / 2, len(good) - 1} {
		try(fmt.Sprintf("cut at %d", n), good[:n])
	}
	try("a frame appended", append(slices.Clone(good[:len(good)-frameOverhead-endPayloadLen]), good[dumpHeaderLen:]...))
}

// openTestStore opens a replica's store in a temporary directory, closed
// at the test's end. Its proposer applies each proposal at once.
func openTestStore(t testing.TB, opts Options) *Store {
	t.Helper()
	opts.Proposer = &applyNow{}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.JournalSize == 0 {
		opts.JournalSize = 16 << 20
	}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Proposer.(*applyNow).s = s
	t.Cleanup(func() { s.Close() })
	return s
}

// applyNow is a replica's proposer for tests: it applies each proposal
// as the next batch, at once.
type applyNow struct {
	mu sync.Mutex
	s  *Store
}

type applied struct {
	res []Result
	err error
}

func (a applied) Wait(context.Context) ([]Result, error) { return a.res, a.err }

func (p *applyNow) Propose(ops []Op) Proposal {
	p.mu.Lock()
	defer p.mu.Unlock()
	res, err := p.s.Apply(&Batch{Ops: ops}, p.s.Applied()+1)
	return applied{res, err}
}
