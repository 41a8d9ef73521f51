package s3test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func testRanges(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	data := pattern(1000, 11)
	h.put(t, b, "k", data)
	h.put(t, b, "empty", nil)
	for _, tc := range []struct {
		rng          string
		status       int
		first, last  int // expected bytes when 206
		contentRange string
	}{
		{"bytes=0-9", 206, 0, 9, "bytes 0-9/1000"},
		{"bytes=10-10", 206, 10, 10, "bytes 10-10/1000"},
		{"bytes=990-", 206, 990, 999, "bytes 990-999/1000"},
		{"bytes=-10", 206, 990, 999, "bytes 990-999/1000"},
		{"bytes=995-2000", 206, 995, 999, "bytes 995-999/1000"},
		{"bytes=-2000", 206, 0, 999, "bytes 0-999/1000"},
		{"bytes=999-999", 206, 999, 999, "bytes 999-999/1000"},
		// Ignored: the whole object, 200.
		{"bytes=0-1,5-6", 200, 0, 999, ""},
		{"bytes=5-3", 200, 0, 999, ""},
		{"items=0-1", 200, 0, 999, ""},
		{"bytes=a-b", 200, 0, 999, ""},
	} {
		r := h.do(t, rawRequest{method: "GET", path: "/" + b + "/k", header: http.Header{"Range": {tc.rng}}})
		if r.status != tc.status || !bytes.Equal(r.body, data[tc.first:tc.last+1]) || r.header.Get("Content-Range") != tc.contentRange {
			t.Errorf("Range %q: %d, %d bytes, Content-Range %q; want %d, bytes %d-%d, %q",
				tc.rng, r.status, len(r.body), r.header.Get("Content-Range"), tc.status, tc.first, tc.last, tc.contentRange)
		}
		head := h.do(t, rawRequest{method: "HEAD", path: "/" + b + "/k", header: http.Header{"Range": {tc.rng}}})
		if head.status != tc.status || head.header.Get("Content-Length") != fmt.Sprint(tc.last-tc.first+1) {
			t.Errorf("HEAD Range %q: %d, Content-Length %s", tc.rng, head.status, head.header.Get("Content-Length"))
		}
	}
	for _, rng := range []string{"bytes=1000-", "bytes=1000-1001", "bytes=-0"} {
		r := h.do(t, rawRequest{method: "GET", path: "/" + b + "/k", header: http.Header{"Range": {rng}}})
		r.wantError(t, 416, "InvalidRange")
		if r.header.Get("Content-Range") != "bytes */1000" {
			t.Errorf("Range %q: Content-Range %q", rng, r.header.Get("Content-Range"))
		}
	}
	h.do(t, rawRequest{method: "GET", path: "/" + b + "/empty", header: http.Header{"Range": {"bytes=0-"}}}).wantError(t, 416, "InvalidRange")
	// Preconditions are decided before the range.
	h.do(t, rawRequest{method: "GET", path: "/" + b + "/k", header: http.Header{"Range": {"bytes=5000-"}, "If-Match": {`"nope"`}}}).wantError(t, 412, "PreconditionFailed")

	// With the SDK.
	out, err := h.aws.GetObject(c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Range: aws.String("bytes=100-199")})
	check(t, err, "GetObject Range")
	got, _ := readAllClose(out.Body)
	if !bytes.Equal(got, data[100:200]) || str(out.ContentRange) != "bytes 100-199/1000" || aws.ToInt64(out.ContentLength) != 100 {
		t.Fatalf("SDK range: %d bytes, Content-Range %q", len(got), str(out.ContentRange))
	}
	_, err = h.aws.GetObject(c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Range: aws.String("bytes=2000-")})
	wantCode(t, err, "InvalidRange", 416)

	// partNumber of a simple object: part 1 is all of it.
	r := h.do(t, rawRequest{method: "GET", path: "/" + b + "/k", query: "partNumber=1"})
	if r.status != 206 || !bytes.Equal(r.body, data) {
		t.Errorf("partNumber=1: %d, %d bytes", r.status, len(r.body))
	}
	if r := h.do(t, rawRequest{method: "GET", path: "/" + b + "/empty", query: "partNumber=1"}); r.status != 200 || len(r.body) != 0 || r.header.Get("Content-Range") != "" {
		t.Errorf("partNumber=1 of an empty object: %d, %d bytes, Content-Range %q", r.status, len(r.body), r.header.Get("Content-Range"))
	}
	h.do(t, rawRequest{method: "GET", path: "/" + b + "/k", query: "partNumber=2"}).wantError(t, 416, "InvalidPartNumber")
	h.do(t, rawRequest{method: "GET", path: "/" + b + "/k", query: "partNumber=0"}).wantError(t, 400, "InvalidArgument")
	h.do(t, rawRequest{method: "GET", path: "/" + b + "/k", query: "partNumber=1", header: http.Header{"Range": {"bytes=0-1"}}}).wantError(t, 400, "InvalidRequest")
}

// testSnapshotRead: a GET in progress keeps reading the object it started
// with while the key is overwritten and deleted.
func testSnapshotRead(t *testing.T, h *harness) {
	b := h.bucket(t)
	old := pattern(8<<20, 12)
	h.put(t, b, "k", old)
	resp, err := h.plainSrv.Client().Do(h.newRawRequest(t, rawRequest{method: "GET", path: "/" + b + "/k"}))
	check(t, err, "GET")
	defer resp.Body.Close()
	first := make([]byte, 1<<20)
	_, err = io.ReadFull(resp.Body, first)
	check(t, err, "reading the first MiB")

	h.put(t, b, "k", pattern(8<<20, 13))
	rest, err := io.ReadAll(resp.Body)
	check(t, err, "reading the rest")
	if !bytes.Equal(append(first, rest...), old) {
		t.Fatalf("GET torn by a concurrent PUT")
	}

	resp2, err := h.plainSrv.Client().Do(h.newRawRequest(t, rawRequest{method: "GET", path: "/" + b + "/k"}))
	check(t, err, "GET")
	defer resp2.Body.Close()
	_, err = io.ReadFull(resp2.Body, first)
	check(t, err, "reading the first MiB")
	r := h.do(t, rawRequest{method: "DELETE", path: "/" + b + "/k"})
	if r.status != 204 {
		t.Fatalf("DELETE: %d", r.status)
	}
	rest, err = io.ReadAll(resp2.Body)
	check(t, err, "reading the rest")
	if !bytes.Equal(append(first, rest...), pattern(8<<20, 13)) {
		t.Fatalf("GET torn by a concurrent DELETE")
	}
}
