package localstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"mapstore/s3api"
)

// TestRestartRebuildsIndex stores objects in batches, reopens the store
// and checks that the index it rebuilds from the records holds every one,
// in order. It reports how long Open took: with
// MAPSTORE_RESTART_OBJECTS=1000000 it measures restart time with a
// million objects (BENCHMARKS.md).
func TestRestartRebuildsIndex(t *testing.T) {
	n := envInt("MAPSTORE_RESTART_OBJECTS", 20000)
	opts := Options{Dir: t.TempDir(), Capacity: max(256<<20, int64(n)*2048), JournalSize: 64 << 20}
	s, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	key := func(i int) string { return fmt.Sprintf("dir%03d/object-%08d", i%1000, i) }
	body := []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	start := time.Now()
	if _, err := s.Apply(&Batch{Ops: []Op{{Kind: OpCreateBucket, Bucket: "b"}}}, 1); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; {
		var b Batch
		for ; i < n && len(b.Ops) < 4096; i++ {
			b.Ops = append(b.Ops, Op{Kind: OpPutObject, Bucket: "b", Key: key(i), Time: int64(i), Size: int64(len(body)), Inline: body})
		}
		if _, err := s.Apply(&b, s.Applied()+1); err != nil {
			t.Fatal(err)
		}
	}
	load := time.Since(start)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	s, err = Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	defer s.Close()
	t.Logf("%d objects: stored in %v, Open rebuilt the index in %v", n, load.Round(time.Millisecond), took.Round(time.Millisecond))
	ctx := context.Background()
	count, after := 0, ""
	for {
		res, err := s.ListObjects(ctx, "b", s3api.ListOptions{After: after, MaxKeys: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Objects {
			if o.Size != int64(len(body)) {
				t.Fatalf("%s: size %d", o.Key, o.Size)
			}
			count++
		}
		if !res.IsTruncated {
			break
		}
		after = res.Last
	}
	if count != n {
		t.Fatalf("%d objects listed after restart, %d stored", count, n)
	}
	if _, err := s.HeadObject(ctx, "b", key(n-1)); err != nil {
		t.Fatal(err)
	}
}
