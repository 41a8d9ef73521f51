package localstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"mapstore/internal/vfs"
	"mapstore/s3api"
)

// model is what a store should hold: bucket -> key -> body.
type model map[string]map[string][]byte

func (m model) clone() model {
	c := model{}
	for b, objs := range m {
		c[b] = maps.Clone(objs)
	}
	return c
}

// checkModel compares everything s holds with m: the buckets, each
// bucket's listing, and every object's bytes and ETag. It also checks that
// the blocks in use are the data objects' plus whole segments.
func checkModel(s *Store, m model) error {
	ctx := context.Background()
	bs, err := s.ListBuckets(ctx)
	if err != nil {
		return err
	}
	if len(bs) != len(m) {
		return fmt.Errorf("%d buckets, want %d", len(bs), len(m))
	}
	for _, b := range bs {
		want, ok := m[b.Name]
		if !ok {
			return fmt.Errorf("bucket %q should not exist", b.Name)
		}
		l, err := s.ListObjects(ctx, b.Name, s3api.ListOptions{MaxKeys: 1000})
		if err != nil {
			return err
		}
		if len(l.Objects) != len(want) {
			return fmt.Errorf("bucket %q lists %d objects, want %d", b.Name, len(l.Objects), len(want))
		}
		for _, info := range l.Objects {
			body, ok := want[info.Key]
			if !ok {
				return fmt.Errorf("%s/%s should not exist", b.Name, info.Key)
			}
			o, err := s.GetObject(ctx, b.Name, info.Key, s3api.GetOptions{})
			if err != nil {
				return fmt.Errorf("%s/%s: %w", b.Name, info.Key, err)
			}
			got, err := io.ReadAll(o.Body)
			o.Close()
			if err != nil {
				return fmt.Errorf("%s/%s: %w", b.Name, info.Key, err)
			}
			if !bytes.Equal(got, body) {
				return fmt.Errorf("%s/%s: %d bytes differ from the %d written", b.Name, info.Key, len(got), len(body))
			}
			if o.Info.ETag != info.ETag || info.Size != int64(len(body)) {
				return fmt.Errorf("%s/%s: listing says %s %d bytes, GET %s", b.Name, info.Key, info.ETag, info.Size, o.Info.ETag)
			}
		}
	}
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	data := int64(0)
	for obj, n := range s.blocks {
		if s.refs[obj] == 0 && s.open[obj] == nil {
			return fmt.Errorf("data object %d has %d blocks and no reference", obj, n)
		}
		data += int64(n)
	}
	if _, used := s.vol.Blocks(); (used-data)%32 != 0 {
		return fmt.Errorf("%d blocks in use for %d data blocks: not whole segments (leaked or lost blocks)", used, data)
	}
	return nil
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func crashOptions(fs vfs.FS) Options {
	return Options{Dir: "/data", FS: fs, Capacity: 4 << 20, JournalSize: 512 << 10, InlineMax: 2 << 10,
		Buffered: true, Run: 8, InlineCheckpoint: true}
}

// TestCrashAtEveryPoint drives a store through the Backend with one
// client (creates, small and streamed puts, overwrites, copies, deletes,
// single-part multipart uploads, aborts) and crashes before every file
// operation, keeping a random part of what was not synced and tearing the
// last write. After each crash the store opens and holds exactly the
// state after the last acknowledged operation or the one in flight, every
// body byte-exact, and no block is held by nothing.
//
// MAPSTORE_LOCALSTORE_CRASH_OPS sets the operations (default 300).
func TestCrashAtEveryPoint(t *testing.T) {
	withChunkSize(t, 16<<10)
	ops := envInt("MAPSTORE_LOCALSTORE_CRASH_OPS", 300)
	mem := vfs.NewMem()
	rng := rand.New(rand.NewPCG(41, 42))
	crashRng := rand.New(rand.NewPCG(43, 44))
	cur := model{}
	next := cur
	points, step := 0, 0
	active := false
	// crash runs on the store's committer goroutine: it reports with
	// Errorf, and the test stops at the end of the step.
	crash := func(op vfs.Op) {
		if t.Failed() {
			return
		}
		clone := mem.CrashClone(vfs.CrashOptions{Rand: crashRng, UnsyncedBlockSurvival: 0.5, TornLastWrite: true})
		s, err := Open(crashOptions(clone))
		if err != nil {
			t.Errorf("crash before %v in step %d: recovery: %v", op, step, err)
			return
		}
		defer s.Close()
		errCur, errNext := checkModel(s, cur), checkModel(s, next)
		if errCur != nil && errNext != nil {
			t.Errorf("crash before %v in step %d: neither the acknowledged state (%v) nor the step in flight (%v)", op, step, errCur, errNext)
		}
	}
	fs := vfs.NewErrorFS(mem, vfs.InjectorFunc(func(op vfs.Op) error {
		if active && op.Kind.Mutates() {
			points++
			crash(op)
		}
		return nil
	}))
	s, err := Open(crashOptions(fs))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	ctx := context.Background()
	body := func() []byte {
		var n int
		switch rng.IntN(3) {
		case 0:
			n = rng.IntN(2 << 10) // inline
		case 1:
			n = 2<<10 + 1 + rng.IntN(14<<10) // one chunk
		default:
			n = 16<<10 + 1 + rng.IntN(40<<10) // several chunks
		}
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	keys := []string{"a", "b", "c/d", "c/e", "f"}
	kinds := map[string]int{}
	active = true
	for step = 1; step <= ops; step++ {
		next = cur.clone()
		var bucket string
		var names []string
		for n := range cur {
			names = append(names, n)
		}
		if len(names) > 0 {
			bucket = names[rng.IntN(len(names))]
		}
		key := keys[rng.IntN(len(keys))]
		kind := rng.IntN(10)
		if bucket == "" {
			kind = -1
		}
		var err error
		switch {
		case kind == -1 || kind == 0 && len(cur) < 3:
			name := fmt.Sprintf("bucket-%d", step)
			next[name] = map[string][]byte{}
			err = s.CreateBucket(ctx, name)
			kinds["create bucket"]++
		case kind <= 4:
			b := body()
			next[bucket][key] = b
			_, err = s.PutObject(ctx, bucket, key, s3api.ObjectMeta{}, bytes.NewReader(b), int64(len(b)), s3api.WriteConditions{})
			kinds["put"]++
		case kind == 5:
			delete(next[bucket], key)
			err = s.DeleteObject(ctx, bucket, key)
			kinds["delete"]++
		case kind == 6:
			src, ok := cur[bucket][key]
			if !ok {
				continue
			}
			dst := keys[rng.IntN(len(keys))]
			next[bucket][dst] = src
			_, err = s.CopyObject(ctx, s3api.CopySource{Bucket: bucket, Key: key},
				s3api.CopyDestination{Bucket: bucket, Key: dst, Directive: s3api.MetadataCopy})
			kinds["copy"]++
		case kind == 7 || kind == 8:
			// A single-part multipart upload, completed or aborted:
			// only the completion is visible.
			id, err := s.CreateMultipartUpload(ctx, bucket, key, s3api.ObjectMeta{})
			if err != nil {
				t.Fatal(err)
			}
			b := body()
			p, err := s.UploadPart(ctx, bucket, key, id, 1, bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			if kind == 7 {
				next[bucket][key] = b
				_, err = s.CompleteMultipartUpload(ctx, bucket, key, id, []s3api.CompletedPart{{PartNumber: 1, ETag: p.ETag}}, s3api.WriteConditions{})
				kinds["multipart"]++
			} else {
				err = s.AbortMultipartUpload(ctx, bucket, key, id)
				kinds["abort"]++
			}
			if err != nil {
				t.Fatal(err)
			}
		default:
			if len(cur[bucket]) > 0 {
				continue
			}
			delete(next, bucket)
			err = s.DeleteBucket(ctx, bucket)
			kinds["delete bucket"]++
		}
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if t.Failed() {
			t.FailNow()
		}
		cur = next
	}
	active = false
	if err := checkModel(s, cur); err != nil {
		t.Fatal(err)
	}
	total, used := s.vol.Blocks()
	t.Logf("%d crash points over %d steps %v; device %d blocks, %d in use", points, ops, kinds, total, used)
	if used > total/2 {
		t.Errorf("%d of %d blocks in use for a handful of small objects: space is leaking", used, total)
	}
}
