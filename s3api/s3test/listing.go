package s3test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"

	"mapstore/s3api"
)

// entry is one listing entry: a key or a common prefix.
type entry struct {
	name   string
	prefix bool
}

func (e entry) String() string {
	if e.prefix {
		return e.name + "(prefix)"
	}
	return e.name
}

// modelList is the naive listing the server's must agree with: every key
// in order, rolled up into common prefixes, entries after `after`.
func modelList(keys []string, prefix, delim, after string) []entry {
	var out []entry
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		e := entry{name: k}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				e = entry{name: k[:len(prefix)+i+len(delim)], prefix: true}
			}
		}
		if e.name <= after || (len(out) > 0 && out[len(out)-1] == e) {
			continue
		}
		out = append(out, e)
	}
	return out
}

func sortedEntries(objs []types.Object, cps []types.CommonPrefix, decode func(string) string) []entry {
	var out []entry
	for _, o := range objs {
		out = append(out, entry{name: decode(str(o.Key))})
	}
	for _, p := range cps {
		out = append(out, entry{name: decode(str(p.Prefix)), prefix: true})
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	return out
}

// loadKeys stores keys through the Backend directly (fast), each holding
// its own name.
func (h *harness) loadKeys(t *testing.T, bucket string, keys []string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(keys))
	sem := make(chan struct{}, 4)
	for _, k := range keys {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			_, err := h.backend.PutObject(context.Background(), bucket, k, s3api.ObjectMeta{ContentType: "text/plain"},
				strings.NewReader(k), int64(len(k)), s3api.WriteConditions{})
			if err != nil {
				errs <- fmt.Errorf("%s: %w", k, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Backend.PutObject: %v", err)
	}
}

// listingKeys returns n keys in a few levels of "/"-separated directories,
// plus keys that sit on the edges of common prefixes.
func listingKeys(n int) []string {
	keys := []string{"d1", "d1/", "d1//x", "d1/s00", "top-a", "top-b", "d~", "e/f/g/h"}
	for i := range n {
		keys = append(keys, fmt.Sprintf("d%d/s%02d/k%05d", i%7, i%13, i))
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

func testList(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	keys := listingKeys(200)
	h.loadKeys(t, b, keys)

	out, err := h.aws.ListObjectsV2(c, &s3.ListObjectsV2Input{Bucket: aws.String(b), Delimiter: aws.String("/")})
	check(t, err, "ListObjectsV2")
	got := sortedEntries(out.Contents, out.CommonPrefixes, func(s string) string { return s })
	want := modelList(keys, "", "/", "")
	if !slices.Equal(got, want) || aws.ToInt32(out.KeyCount) != int32(len(want)) || aws.ToBool(out.IsTruncated) {
		t.Fatalf("delimiter listing:\n got %v (KeyCount %d)\nwant %v", got, aws.ToInt32(out.KeyCount), want)
	}
	for _, o := range out.Contents {
		if o.Owner != nil || o.StorageClass != types.ObjectStorageClassStandard || aws.ToInt64(o.Size) != int64(len(str(o.Key))) ||
			str(o.ETag) != md5ETag([]byte(str(o.Key))) || o.LastModified == nil {
			t.Fatalf("entry %+v", o)
		}
	}
	out, err = h.aws.ListObjectsV2(c, &s3.ListObjectsV2Input{Bucket: aws.String(b), Prefix: aws.String("d1/"), Delimiter: aws.String("/"),
		FetchOwner: aws.Bool(true), StartAfter: aws.String("d1/s03/")})
	check(t, err, "ListObjectsV2 prefix")
	got = sortedEntries(out.Contents, out.CommonPrefixes, func(s string) string { return s })
	if want := modelList(keys, "d1/", "/", "d1/s03/"); !slices.Equal(got, want) {
		t.Fatalf("prefix listing:\n got %v\nwant %v", got, want)
	}
	if str(out.StartAfter) != "d1/s03/" || str(out.Prefix) != "d1/" {
		t.Errorf("echo: StartAfter %q Prefix %q", str(out.StartAfter), str(out.Prefix))
	}
	for _, o := range out.Contents {
		if o.Owner == nil || str(o.Owner.ID) == "" {
			t.Fatalf("fetch-owner: entry without owner")
		}
	}
	out, err = h.aws.ListObjectsV2(c, &s3.ListObjectsV2Input{Bucket: aws.String(b), MaxKeys: aws.Int32(0)})
	check(t, err, "ListObjectsV2 max-keys 0")
	if len(out.Contents) != 0 || aws.ToBool(out.IsTruncated) {
		t.Errorf("max-keys 0: %d keys, truncated %v", len(out.Contents), aws.ToBool(out.IsTruncated))
	}
	h.do(t, rawRequest{method: "GET", path: "/" + b, query: "list-type=2&max-keys=-1"}).wantError(t, 400, "InvalidArgument")
	h.do(t, rawRequest{method: "GET", path: "/" + b, query: "list-type=2&max-keys=x"}).wantError(t, 400, "InvalidArgument")
	h.do(t, rawRequest{method: "GET", path: "/" + b, query: "list-type=2&continuation-token=%21%21"}).wantError(t, 400, "InvalidArgument")
	h.do(t, rawRequest{method: "GET", path: "/" + b, query: "list-type=2&encoding-type=base64"}).wantError(t, 400, "InvalidArgument")
	// max-keys above 1000 is 1000.
	if r := h.do(t, rawRequest{method: "GET", path: "/" + b, query: "list-type=2&max-keys=5000"}); r.status != 200 || !strings.Contains(string(r.body), "<MaxKeys>1000</MaxKeys>") {
		t.Errorf("max-keys 5000: %d %.300s", r.status, r.body)
	}
}

// listAllV2 pages through a listing with the SDK paginator.
func (h *harness) listAllV2(t *testing.T, bucket, prefix, delim string, pageSize int32) []entry {
	t.Helper()
	p := s3.NewListObjectsV2Paginator(h.aws, &s3.ListObjectsV2Input{
		Bucket: aws.String(bucket), Prefix: aws.String(prefix), Delimiter: aws.String(delim), MaxKeys: aws.Int32(pageSize),
	})
	var all []entry
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		check(t, err, "ListObjectsV2 page")
		n := len(page.Contents) + len(page.CommonPrefixes)
		if n > int(pageSize) || int32(n) != aws.ToInt32(page.KeyCount) || (aws.ToBool(page.IsTruncated) && n != int(pageSize)) {
			t.Fatalf("page of %d entries, KeyCount %d, truncated %v, max %d", n, aws.ToInt32(page.KeyCount), aws.ToBool(page.IsTruncated), pageSize)
		}
		all = append(all, sortedEntries(page.Contents, page.CommonPrefixes, func(s string) string { return s })...)
	}
	return all
}

func testListPagination(t *testing.T, h *harness) {
	n := 3000
	if raceEnabled || testing.Short() {
		n = 1000
	}
	b := h.bucket(t)
	keys := listingKeys(n)
	h.loadKeys(t, b, keys)
	for _, tc := range []struct {
		prefix, delim string
		page          int32
	}{
		{"", "", 1000},
		{"", "/", 2},
		{"d3/", "/", 7},
		{"d3/s0", "", 100},
		{"d", "/", 3},
		{"", "s0", 50},
		{"d1/", "", 250},
		{"nothing", "/", 10},
	} {
		got := h.listAllV2(t, b, tc.prefix, tc.delim, tc.page)
		if want := modelList(keys, tc.prefix, tc.delim, ""); !slices.Equal(got, want) {
			t.Fatalf("prefix %q delimiter %q page %d: %d entries, want %d\n got %.20v\nwant %.20v", tc.prefix, tc.delim, tc.page, len(got), len(want), got, want)
		}
	}
	// minio-go lists with ListObjectsV2, encoding-type=url.
	var got []string
	for o := range h.minio.ListObjects(ctx(t), b, minio.ListObjectsOptions{Prefix: "d2/", Recursive: true, MaxKeys: 300}) {
		check(t, o.Err, "minio ListObjects")
		got = append(got, o.Key)
	}
	var want []string
	for _, e := range modelList(keys, "d2/", "", "") {
		want = append(want, e.name)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("minio listing: %d keys, want %d", len(got), len(want))
	}
}

func testListV1(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	keys := listingKeys(300)
	h.loadKeys(t, b, keys)
	for _, delim := range []string{"", "/"} {
		var all []entry
		marker := ""
		for pages := 0; ; pages++ {
			out, err := h.aws.ListObjects(c, &s3.ListObjectsInput{Bucket: aws.String(b), Delimiter: aws.String(delim), Marker: aws.String(marker), MaxKeys: aws.Int32(40)})
			check(t, err, "ListObjects")
			page := sortedEntries(out.Contents, out.CommonPrefixes, func(s string) string { return s })
			all = append(all, page...)
			for _, o := range out.Contents {
				if o.Owner == nil {
					t.Fatalf("ListObjects v1 entries carry the owner")
				}
			}
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			if delim == "" {
				if out.NextMarker != nil {
					t.Fatalf("NextMarker %q without a delimiter", str(out.NextMarker))
				}
				marker = str(out.Contents[len(out.Contents)-1].Key)
			} else {
				if str(out.NextMarker) != page[len(page)-1].name {
					t.Fatalf("NextMarker %q, last entry %q", str(out.NextMarker), page[len(page)-1].name)
				}
				marker = str(out.NextMarker)
			}
		}
		if want := modelList(keys, "", delim, ""); !slices.Equal(all, want) {
			t.Fatalf("v1 delimiter %q: %d entries, want %d", delim, len(all), len(want))
		}
	}
}

func testListEncodingURL(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	var keys []string
	for i, k := range awkwardKeys {
		k = "enc/" + k
		if len(k) > 1024 {
			continue
		}
		h.put(t, b, k, pattern(10, uint64(i)))
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out, err := h.aws.ListObjectsV2(c, &s3.ListObjectsV2Input{Bucket: aws.String(b), EncodingType: types.EncodingTypeUrl, Prefix: aws.String("enc/")})
	check(t, err, "ListObjectsV2 encoding-type=url")
	var got []string
	for _, o := range out.Contents {
		k := str(o.Key)
		if strings.ContainsAny(k, " \t\n<>&+?#") {
			t.Errorf("key %q not URL-encoded", k)
		}
		dec, err := url.QueryUnescape(k)
		check(t, err, "decoding "+k)
		got = append(got, dec)
	}
	if !slices.Equal(got, keys) {
		t.Fatalf("decoded keys\n got %q\nwant %q", got, keys)
	}
	if out.EncodingType != types.EncodingTypeUrl || str(out.Prefix) != "enc/" {
		t.Errorf("EncodingType %q, Prefix %q", out.EncodingType, str(out.Prefix))
	}
	// minio-go decodes by itself.
	got = got[:0]
	for o := range h.minio.ListObjects(c, b, minio.ListObjectsOptions{Prefix: "enc/", Recursive: true}) {
		check(t, o.Err, "minio ListObjects")
		got = append(got, o.Key)
	}
	if !slices.Equal(got, keys) {
		t.Fatalf("minio keys\n got %q\nwant %q", got, keys)
	}
	// Delimiter and prefixes are encoded too.
	r := h.do(t, rawRequest{method: "GET", path: "/" + b, query: "list-type=2&encoding-type=url&delimiter=%20&prefix=enc%2F"})
	if r.status != 200 || !strings.Contains(string(r.body), "<Delimiter>%20</Delimiter>") || !strings.Contains(string(r.body), "<Prefix>enc/dir/sub%20</Prefix>") {
		t.Fatalf("encoded delimiter listing: %d %s", r.status, r.body)
	}
}
