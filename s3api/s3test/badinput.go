package s3test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func testLimits(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	long := strings.Repeat("k", 1025)
	_, err := h.aws.PutObject(c, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(long), Body: strings.NewReader("x")})
	wantCode(t, err, "KeyTooLongError", 400)
	h.do(t, rawRequest{method: "GET", path: "/" + b + "/" + long}).wantError(t, 400, "KeyTooLongError")

	_, err = h.aws.PutObject(c, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("meta"), Body: strings.NewReader("x"),
		Metadata: map[string]string{"big": strings.Repeat("v", 2046)}})
	wantCode(t, err, "MetadataTooLarge", 400)
	_, err = h.aws.PutObject(c, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("meta"), Body: strings.NewReader("x"),
		Metadata: map[string]string{"big": strings.Repeat("v", 2045)}})
	check(t, err, "PutObject with 2 KiB of metadata")
	_, err = h.aws.CreateMultipartUpload(c, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("meta"),
		Metadata: map[string]string{"a": strings.Repeat("v", 1500), "b": strings.Repeat("v", 1500)}})
	wantCode(t, err, "MetadataTooLarge", 400)

	// Larger than 5 GiB, announced but never sent.
	path := "/" + b + "/huge"
	r := h.sendRaw(t, rawRequest{method: "PUT", path: path, unsigned: true}, 5<<30+1, 0, true)
	r.wantError(t, 400, "EntityTooLarge")
	chunkedHdr := http.Header{"Content-Encoding": {"aws-chunked"}, "X-Amz-Decoded-Content-Length": {fmt.Sprint(int64(5<<30 + 1))}}
	r = h.sendRaw(t, rawRequest{method: "PUT", path: path, header: chunkedHdr, payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}, 6<<30, 0, true)
	r.wantError(t, 400, "EntityTooLarge")
	h.wantMissing(t, b, "huge")

	// No length at all.
	h.do(t, rawRequest{method: "PUT", path: path, body: []byte("some data"), unsigned: true, chunked: true}).wantError(t, 411, "MissingContentLength")
	body, hdr := awsChunkedUnsigned([]byte("some data"), 4, "x-amz-checksum-crc32", checksumOf("CRC32", []byte("some data")))
	hdr.Del("X-Amz-Decoded-Content-Length")
	h.do(t, rawRequest{method: "PUT", path: path, body: body, header: hdr, payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}).wantError(t, 411, "MissingContentLength")
	h.wantMissing(t, b, "huge")

	// Headers: beyond 8 KiB S3's error; far beyond, net/http's 431.
	h.do(t, rawRequest{method: "GET", path: "/" + b + "/meta", header: http.Header{"X-Filler": {strings.Repeat("f", 9000)}}}).
		wantError(t, 400, "RequestHeaderSectionTooLarge")
	req := h.newRawRequest(t, rawRequest{method: "GET", path: "/" + b + "/meta"})
	req.Header.Set("X-Filler", strings.Repeat("f", 64<<10))
	resp, err := h.plainSrv.Client().Do(req)
	check(t, err, "GET with 64 KiB of headers")
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("64 KiB of headers: %s", resp.Status)
	}
	if got, _ := h.get(t, b, "meta"); string(got) != "x" {
		t.Fatalf("server no longer serving: %q", got)
	}
}

func testMalformedRequests(t *testing.T, h *harness) {
	b := h.bucket(t)
	h.put(t, b, "k", []byte("data"))
	h.do(t, rawRequest{method: "PATCH", path: "/" + b + "/k"}).wantError(t, 405, "MethodNotAllowed")
	h.do(t, rawRequest{method: "PUT", path: "/"}).wantError(t, 405, "MethodNotAllowed")
	h.do(t, rawRequest{method: "GET", path: "/" + b + "/%FF%FE"}).wantError(t, 400, "InvalidURI")
	h.do(t, rawRequest{method: "GET", path: "/" + b, query: "list-type=3"}).wantError(t, 400, "InvalidArgument")
	h.do(t, rawRequest{method: "POST", path: "/" + b + "/k"}).wantError(t, 501, "NotImplemented")
	h.do(t, rawRequest{method: "GET", path: "/" + b, query: "max-uploads=-3&uploads"}).wantError(t, 400, "InvalidArgument")
	h.do(t, rawRequest{method: "GET", path: "/" + b + "/k", query: "uploadId=x&max-parts=abc"}).wantError(t, 400, "InvalidArgument")
	if r := h.do(t, rawRequest{method: "GET", path: "/" + b + "/k", query: "x-id=GetObject&unknown-param=1"}); r.status != 200 || string(r.body) != "data" {
		t.Fatalf("GET with unknown parameters: %d %q", r.status, r.body)
	}
}

func testSubresources(t *testing.T, h *harness) {
	b := h.bucket(t)
	h.put(t, b, "k", []byte("data"))
	for _, rr := range []rawRequest{
		{method: "GET", path: "/" + b, query: "policy"},
		{method: "PUT", path: "/" + b, query: "policy", body: []byte("{}")},
		{method: "GET", path: "/" + b, query: "lifecycle"},
		{method: "GET", path: "/" + b, query: "cors"},
		{method: "GET", path: "/" + b, query: "versions"},
		{method: "PUT", path: "/" + b, query: "versioning", body: []byte("<VersioningConfiguration/>")},
		{method: "PUT", path: "/" + b, query: "acl"},
		{method: "GET", path: "/" + b, query: "tagging"},
		{method: "PUT", path: "/" + b + "/k", query: "tagging", body: []byte("<Tagging/>")},
		{method: "PUT", path: "/" + b + "/k", query: "acl"},
		{method: "POST", path: "/" + b + "/k", query: "restore"},
		{method: "GET", path: "/" + b + "/k", query: "attributes"},
	} {
		r := h.do(t, rr)
		r.wantError(t, 501, "NotImplemented")
	}
	// The plain operation did not run instead.
	if got, _ := h.get(t, b, "k"); string(got) != "data" {
		t.Fatalf("object changed: %q", got)
	}
	r := h.do(t, rawRequest{method: "GET", path: "/" + b, query: "versioning"})
	if r.status != 200 || !bytes.Contains(r.body, []byte("<VersioningConfiguration")) || bytes.Contains(r.body, []byte("<Status>")) {
		t.Fatalf("GET ?versioning: %d %s", r.status, r.body)
	}
}

// testClientDisconnect: a client that goes away in the middle of an upload
// leaves nothing behind, and the server keeps serving.
func testClientDisconnect(t *testing.T, h *harness) {
	b := h.bucket(t)
	data := pattern(1<<20, 60)
	for _, tc := range []struct {
		name string
		rr   rawRequest
	}{
		{"plain", rawRequest{method: "PUT", path: "/" + b + "/plain", body: data, unsigned: true}},
		{"sha256", rawRequest{method: "PUT", path: "/" + b + "/sha256", body: data}},
		{"aws-chunked", func() rawRequest {
			body, hdr := awsChunkedUnsigned(data, 64<<10, "x-amz-checksum-crc32", checksumOf("CRC32", data))
			return rawRequest{method: "PUT", path: "/" + b + "/aws-chunked", body: body, header: hdr, payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}
		}()},
	} {
		before := h.track.count()
		h.sendPartial(t, tc.rr, 300<<10, false)
		h.track.waitIdle(t, before)
		h.wantMissing(t, b, tc.name)
	}
	// A part upload cut short.
	id := h.createUpload(t, b, "mp")
	before := h.track.count()
	h.sendPartial(t, rawRequest{method: "PUT", path: "/" + b + "/mp", query: "partNumber=1&uploadId=" + id, body: data, unsigned: true}, 100<<10, false)
	h.track.waitIdle(t, before)
	parts, err := h.aws.ListParts(ctx(t), &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: aws.String(id)})
	check(t, err, "ListParts")
	if len(parts.Parts) != 0 {
		t.Fatalf("interrupted part stored: %+v", parts.Parts)
	}
	h.put(t, b, "after", data)
	if got, _ := h.get(t, b, "after"); !bytes.Equal(got, data) {
		t.Fatalf("server not serving after disconnects")
	}
}

// testIncompleteBody: a body shorter than announced is IncompleteBody.
func testIncompleteBody(t *testing.T, h *harness) {
	b := h.bucket(t)
	data := pattern(100<<10, 61)
	r := h.sendPartial(t, rawRequest{method: "PUT", path: "/" + b + "/short", body: data, unsigned: true}, 50<<10, true)
	r.wantError(t, 400, "IncompleteBody")
	h.wantMissing(t, b, "short")

	// aws-chunked: x-amz-decoded-content-length promises more than the
	// chunks hold.
	body, hdr := awsChunkedUnsigned(data, 16<<10, "x-amz-checksum-crc32", checksumOf("CRC32", data))
	hdr.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(data)+10))
	h.do(t, rawRequest{method: "PUT", path: "/" + b + "/chunked", body: body, header: hdr, payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}).
		wantError(t, 400, "IncompleteBody")
	h.wantMissing(t, b, "chunked")
	// A body longer than the decoded length.
	hdr.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(data)-10))
	r2 := h.do(t, rawRequest{method: "PUT", path: "/" + b + "/chunked", body: body, header: hdr, payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"})
	if r2.status != 400 {
		t.Fatalf("aws-chunked body longer than declared: %d %s", r2.status, r2.body)
	}
	h.wantMissing(t, b, "chunked")
}
