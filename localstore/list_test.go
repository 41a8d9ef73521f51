package localstore

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"mapstore/s3api"
)

// listModel lists keys the slow, obvious way: every key in order, rolled
// up, then cut after after and at max entries.
func listModel(keys []string, opts s3api.ListOptions) (entries []string, truncated bool) {
	seen := map[string]bool{}
	for _, k := range keys {
		if !strings.HasPrefix(k, opts.Prefix) {
			continue
		}
		e := k
		if cp := commonPrefix(k, opts.Prefix, opts.Delimiter); cp != "" {
			e = cp
		}
		if e <= opts.After || seen[e] {
			continue
		}
		seen[e] = true
		if len(entries) == opts.MaxKeys {
			return entries, true
		}
		entries = append(entries, e)
	}
	return entries, false
}

// TestListingModel compares ListObjects with listModel for random
// prefixes, delimiters, start points and page sizes over keys with nested
// "directories", including keys with bytes 0x00 and 0xff.
func TestListingModel(t *testing.T) {
	s := tempStore(t, 64<<20, 0)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 8))
	parts := []string{"a", "b", "ab", "a/", "/", "-", "\x00", "\xff", "z", "photos/", "2026/"}
	var b Batch
	b.Ops = append(b.Ops, Op{Kind: OpCreateBucket, Bucket: "b"})
	set := map[string]bool{}
	for len(set) < 1500 {
		var k string
		for n := 1 + rng.IntN(5); n > 0; n-- {
			k += parts[rng.IntN(len(parts))]
		}
		if !set[k] {
			set[k] = true
			b.Ops = append(b.Ops, Op{Kind: OpPutObject, Bucket: "b", Key: k, Size: 1, Inline: []byte("x")})
		}
	}
	if _, err := s.Apply(&b, 1); err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range set {
			if !yield(k) {
				return
			}
		}
	})
	delims := []string{"", "/", "a", "ab", "\xff"}
	for i := range 400 {
		opts := s3api.ListOptions{
			Prefix:    []string{"", "a", "a/", "photos/", "\xff", "q"}[rng.IntN(6)],
			Delimiter: delims[rng.IntN(len(delims))],
			MaxKeys:   1 + rng.IntN(40),
		}
		if rng.IntN(2) == 0 {
			opts.After = keys[rng.IntN(len(keys))]
		}
		// Page through, as a client does, comparing every page.
		for page := 0; ; page++ {
			want, wantTrunc := listModel(keys, opts)
			res, err := s.ListObjects(ctx, "b", opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			oi, ci := 0, 0
			for oi < len(res.Objects) || ci < len(res.CommonPrefixes) {
				if ci == len(res.CommonPrefixes) || oi < len(res.Objects) && res.Objects[oi].Key < res.CommonPrefixes[ci] {
					got = append(got, res.Objects[oi].Key)
					oi++
				} else {
					got = append(got, res.CommonPrefixes[ci])
					ci++
				}
			}
			if !slices.Equal(got, want) || res.IsTruncated != wantTrunc {
				t.Fatalf("case %d page %d %+v:\n got %q truncated %v\nwant %q truncated %v", i, page, opts, got, res.IsTruncated, want, wantTrunc)
			}
			if len(got) > 0 && res.Last != got[len(got)-1] {
				t.Fatalf("case %d: Last %q, want %q", i, res.Last, got[len(got)-1])
			}
			if !res.IsTruncated {
				break
			}
			opts.After = res.Last
		}
	}
}

// TestListUploadsModel pages through ListMultipartUploads with a
// delimiter and checks it returns each upload and common prefix once, in
// order.
func TestListUploadsModel(t *testing.T) {
	s := tempStore(t, 64<<20, 0, "b")
	ctx := context.Background()
	var want []string
	for _, k := range []string{"a", "a/1", "a/2", "b", "c/x/y", "c/z", "d"} {
		for range 2 {
			id, err := s.CreateMultipartUpload(ctx, "b", k, s3api.ObjectMeta{})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(k, "/") {
				want = append(want, k+" "+id)
			}
		}
	}
	want = append(want, "a/", "c/")
	slices.Sort(want)
	var got []string
	opts := s3api.ListUploadsOptions{Delimiter: "/", MaxUploads: 1}
	for page := 0; page < 100; page++ {
		res, err := s.ListMultipartUploads(ctx, "b", opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range res.Uploads {
			got = append(got, u.Key+" "+u.UploadID)
		}
		got = append(got, res.CommonPrefixes...)
		if !res.IsTruncated {
			break
		}
		opts.KeyMarker, opts.UploadIDMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("pages list\n%q\nwant\n%q", got, want)
	}
}
