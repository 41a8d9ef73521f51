package s3test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// multipartETag is the ETag S3 gives a multipart object.
func multipartETag(parts ...[]byte) string {
	h := md5.New()
	for _, p := range parts {
		s := md5.Sum(p)
		h.Write(s[:])
	}
	return fmt.Sprintf("\"%s-%d\"", hex.EncodeToString(h.Sum(nil)), len(parts))
}

func (h *harness) createUpload(t *testing.T, bucket, key string) string {
	t.Helper()
	up, err := h.aws.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	check(t, err, "CreateMultipartUpload")
	if str(up.UploadId) == "" || str(up.Key) != key || str(up.Bucket) != bucket {
		t.Fatalf("CreateMultipartUpload: %+v", up)
	}
	return str(up.UploadId)
}

func (h *harness) uploadPart(t *testing.T, bucket, key, id string, n int32, data []byte) types.CompletedPart {
	t.Helper()
	out, err := h.aws.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
		PartNumber: aws.Int32(n), Body: bytes.NewReader(data)})
	check(t, err, fmt.Sprintf("UploadPart %d", n))
	if str(out.ETag) != md5ETag(data) {
		t.Fatalf("UploadPart %d: ETag %s, want %s", n, str(out.ETag), md5ETag(data))
	}
	return types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag}
}

func (h *harness) complete(t *testing.T, bucket, key, id string, parts ...types.CompletedPart) (*s3.CompleteMultipartUploadOutput, error) {
	return h.aws.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: aws.String(id), MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
}

func testMultipart(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	key := "multi/part object"
	data := [][]byte{pattern(5<<20, 21), pattern(5<<20, 22), pattern(5<<20, 23), pattern(1<<20+123, 24)}
	up, err := h.aws.CreateMultipartUpload(c, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key),
		ContentType: aws.String("video/x-test"), Metadata: map[string]string{"kind": "multipart"}})
	check(t, err, "CreateMultipartUpload")
	id := str(up.UploadId)
	var parts []types.CompletedPart
	for i, d := range data {
		parts = append(parts, h.uploadPart(t, b, key, id, int32(i+1), d))
	}
	// Uploading a part again replaces it.
	parts[1] = h.uploadPart(t, b, key, id, 2, data[1])

	lp, err := h.aws.ListParts(c, &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: aws.String(id), MaxParts: aws.Int32(3)})
	check(t, err, "ListParts")
	if len(lp.Parts) != 3 || !aws.ToBool(lp.IsTruncated) || str(lp.NextPartNumberMarker) != "3" {
		t.Fatalf("ListParts page 1: %d parts, truncated %v, next %q", len(lp.Parts), aws.ToBool(lp.IsTruncated), str(lp.NextPartNumberMarker))
	}
	for i, p := range lp.Parts {
		if aws.ToInt32(p.PartNumber) != int32(i+1) || aws.ToInt64(p.Size) != int64(len(data[i])) || str(p.ETag) != md5ETag(data[i]) || p.LastModified == nil {
			t.Fatalf("ListParts part %d: %+v", i+1, p)
		}
	}
	lp, err = h.aws.ListParts(c, &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: aws.String(id), PartNumberMarker: lp.NextPartNumberMarker})
	check(t, err, "ListParts page 2")
	if len(lp.Parts) != 1 || aws.ToInt32(lp.Parts[0].PartNumber) != 4 || aws.ToBool(lp.IsTruncated) {
		t.Fatalf("ListParts page 2: %+v", lp.Parts)
	}

	out, err := h.complete(t, b, key, id, parts...)
	check(t, err, "CompleteMultipartUpload")
	wantETag := multipartETag(data...)
	if str(out.ETag) != wantETag || str(out.Key) != key || str(out.Bucket) != b || str(out.Location) == "" {
		t.Fatalf("CompleteMultipartUpload: ETag %s (want %s), %+v", str(out.ETag), wantETag, out)
	}
	got, get := h.get(t, b, key)
	if !bytes.Equal(got, bytes.Join(data, nil)) || str(get.ETag) != wantETag || str(get.ContentType) != "video/x-test" || get.Metadata["kind"] != "multipart" {
		t.Fatalf("GET: %d bytes, ETag %s, type %q, meta %q", len(got), str(get.ETag), str(get.ContentType), get.Metadata)
	}
	head, err := h.aws.HeadObject(c, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key), PartNumber: aws.Int32(2)})
	check(t, err, "HeadObject partNumber")
	if aws.ToInt64(head.ContentLength) != 5<<20 || aws.ToInt32(head.PartsCount) != 4 {
		t.Fatalf("HEAD partNumber=2: Content-Length %d, parts %d", aws.ToInt64(head.ContentLength), aws.ToInt32(head.PartsCount))
	}
	part, err := h.aws.GetObject(c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key), PartNumber: aws.Int32(4)})
	check(t, err, "GetObject partNumber")
	gotPart, _ := readAllClose(part.Body)
	if !bytes.Equal(gotPart, data[3]) || aws.ToInt32(part.PartsCount) != 4 || str(part.ContentRange) != fmt.Sprintf("bytes %d-%d/%d", 15<<20, len(got)-1, len(got)) {
		t.Fatalf("GET partNumber=4: %d bytes, parts %d, range %q", len(gotPart), aws.ToInt32(part.PartsCount), str(part.ContentRange))
	}
	_, err = h.aws.GetObject(c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key), PartNumber: aws.Int32(5)})
	wantCode(t, err, "InvalidPartNumber", 416)

	// The upload is gone.
	_, err = h.aws.ListParts(c, &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: aws.String(id)})
	wantCode(t, err, "NoSuchUpload", 404)

	// Conditional completion.
	id = h.createUpload(t, b, key)
	p := h.uploadPart(t, b, key, id, 1, []byte("small last part"))
	_, err = h.aws.CompleteMultipartUpload(c, &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{p}}, IfNoneMatch: aws.String("*")})
	wantCode(t, err, "PreconditionFailed", 412)
	_, err = h.aws.CompleteMultipartUpload(c, &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{p}}, IfMatch: aws.String(wantETag)})
	check(t, err, "CompleteMultipartUpload If-Match")
	if got, _ := h.get(t, b, key); string(got) != "small last part" {
		t.Fatalf("after conditional completion: %q", got)
	}

	// minio-go splits a large PutObject into parts itself (signed aws-chunked parts).
	big := pattern(10<<20+5, 25)
	info, err := h.minio.PutObject(c, b, "minio-multipart", bytes.NewReader(big), int64(len(big)), minioPutOptions(5<<20))
	check(t, err, "minio multipart PutObject")
	if info.ETag != strings.Trim(multipartETag(big[:5<<20], big[5<<20:10<<20], big[10<<20:]), `"`) {
		t.Errorf("minio multipart ETag %s", info.ETag)
	}
	if got, _ := h.get(t, b, "minio-multipart"); !bytes.Equal(got, big) {
		t.Fatalf("minio multipart object: %d bytes", len(got))
	}
}

func testMultipartErrors(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	key := "mp"
	id := h.createUpload(t, b, key)
	small1 := h.uploadPart(t, b, key, id, 1, []byte("part one"))
	small2 := h.uploadPart(t, b, key, id, 2, []byte("part two"))

	_, err := h.complete(t, b, key, id, small1, small2)
	wantCode(t, err, "EntityTooSmall", 400)
	_, err = h.complete(t, b, key, id, small2, small1)
	wantCode(t, err, "InvalidPartOrder", 400)
	_, err = h.complete(t, b, key, id, types.CompletedPart{PartNumber: aws.Int32(1), ETag: small2.ETag})
	wantCode(t, err, "InvalidPart", 400)
	_, err = h.complete(t, b, key, id, types.CompletedPart{PartNumber: aws.Int32(3), ETag: small2.ETag})
	wantCode(t, err, "InvalidPart", 400)
	path := "/" + b + "/" + key
	h.do(t, rawRequest{method: "POST", path: path, query: "uploadId=" + id, body: []byte("<CompleteMultipartUpload><Part>")}).wantError(t, 400, "MalformedXML")
	h.do(t, rawRequest{method: "POST", path: path, query: "uploadId=" + id, body: []byte("<CompleteMultipartUpload></CompleteMultipartUpload>")}).wantError(t, 400, "MalformedXML")
	for _, n := range []string{"0", "10001", "x"} {
		h.do(t, rawRequest{method: "PUT", path: path, query: "partNumber=" + n + "&uploadId=" + id, body: []byte("x")}).wantError(t, 400, "InvalidArgument")
	}
	h.do(t, rawRequest{method: "PUT", path: path, query: "partNumber=1&uploadId=nosuchupload", body: []byte("x")}).wantError(t, 404, "NoSuchUpload")
	h.do(t, rawRequest{method: "PUT", path: path + "-other-key", query: "partNumber=1&uploadId=" + id, body: []byte("x")}).wantError(t, 404, "NoSuchUpload")

	// A failed completion leaves the upload usable: the last part may be small.
	out, err := h.complete(t, b, key, id, small1)
	check(t, err, "CompleteMultipartUpload one small part")
	if str(out.ETag) != multipartETag([]byte("part one")) {
		t.Fatalf("ETag %s", str(out.ETag))
	}

	id = h.createUpload(t, b, key)
	h.uploadPart(t, b, key, id, 1, []byte("x"))
	_, err = h.aws.AbortMultipartUpload(c, &s3.AbortMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: aws.String(id)})
	check(t, err, "AbortMultipartUpload")
	_, err = h.aws.AbortMultipartUpload(c, &s3.AbortMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: aws.String(id)})
	wantCode(t, err, "NoSuchUpload", 404)
	_, err = h.aws.UploadPart(c, &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: aws.String(id), PartNumber: aws.Int32(2), Body: bytes.NewReader([]byte("y"))})
	wantCode(t, err, "NoSuchUpload", 404)
	_, err = h.complete(t, b, key, id, small1)
	wantCode(t, err, "NoSuchUpload", 404)
	if got, _ := h.get(t, b, key); string(got) != "part one" {
		t.Fatalf("object changed by an aborted upload: %q", got)
	}
	_, err = h.aws.CreateMultipartUpload(c, &s3.CreateMultipartUploadInput{Bucket: aws.String("s3test-never-created"), Key: aws.String(key)})
	wantCode(t, err, "NoSuchBucket", 404)
}

func testUploadPartCopy(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	src := pattern(10<<20+1000, 31)
	h.put(t, b, "src", src)
	h.put(t, b, "small", []byte("small source"))
	id := h.createUpload(t, b, "dst")
	var parts []types.CompletedPart
	for i, spec := range []struct{ source, rng string }{
		{"src", "bytes=0-5242879"},
		{"src", "bytes=5242880-10485759"},
		{"small", ""},
	} {
		in := &s3.UploadPartCopyInput{Bucket: aws.String(b), Key: aws.String("dst"), UploadId: aws.String(id),
			PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String(b + "/" + spec.source)}
		if spec.rng != "" {
			in.CopySourceRange = aws.String(spec.rng)
		}
		out, err := h.aws.UploadPartCopy(c, in)
		check(t, err, "UploadPartCopy")
		parts = append(parts, types.CompletedPart{PartNumber: in.PartNumber, ETag: out.CopyPartResult.ETag})
	}
	want := [][]byte{src[:5<<20], src[5<<20 : 10<<20], []byte("small source")}
	for i, p := range parts {
		if str(p.ETag) != md5ETag(want[i]) {
			t.Fatalf("UploadPartCopy %d: ETag %s", i+1, str(p.ETag))
		}
	}
	for _, rng := range []string{"bytes=0-10486760", "bytes=10-", "bytes=-5", "5-10"} {
		_, err := h.aws.UploadPartCopy(c, &s3.UploadPartCopyInput{Bucket: aws.String(b), Key: aws.String("dst"), UploadId: aws.String(id),
			PartNumber: aws.Int32(9), CopySource: aws.String(b + "/src"), CopySourceRange: aws.String(rng)})
		wantCode(t, err, "InvalidArgument", 400)
	}
	_, err := h.aws.UploadPartCopy(c, &s3.UploadPartCopyInput{Bucket: aws.String(b), Key: aws.String("dst"), UploadId: aws.String(id),
		PartNumber: aws.Int32(9), CopySource: aws.String(b + "/src"), CopySourceIfMatch: aws.String(`"nope"`)})
	wantCode(t, err, "PreconditionFailed", 412)
	out, err := h.complete(t, b, "dst", id, parts...)
	check(t, err, "CompleteMultipartUpload")
	if str(out.ETag) != multipartETag(want...) {
		t.Fatalf("ETag %s", str(out.ETag))
	}
	if got, _ := h.get(t, b, "dst"); !bytes.Equal(got, bytes.Join(want, nil)) {
		t.Fatalf("assembled %d bytes", len(got))
	}
}

func testListMultipartUploads(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	type upload struct{ key, id string }
	var ups []upload
	for _, k := range []string{"a/1", "a/2", "b", "b", "b", "c d"} {
		ups = append(ups, upload{k, h.createUpload(t, b, k)})
	}
	var got []upload
	keyMarker, idMarker := "", ""
	for {
		out, err := h.aws.ListMultipartUploads(c, &s3.ListMultipartUploadsInput{Bucket: aws.String(b), MaxUploads: aws.Int32(2),
			KeyMarker: aws.String(keyMarker), UploadIdMarker: aws.String(idMarker)})
		check(t, err, "ListMultipartUploads")
		for _, u := range out.Uploads {
			if u.Initiated == nil {
				t.Fatalf("upload without Initiated")
			}
			got = append(got, upload{str(u.Key), str(u.UploadId)})
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		keyMarker, idMarker = str(out.NextKeyMarker), str(out.NextUploadIdMarker)
	}
	if len(got) != len(ups) {
		t.Fatalf("listed %d uploads, want %d: %v", len(got), len(ups), got)
	}
	seen := map[upload]bool{}
	for i, u := range got {
		seen[u] = true
		if i > 0 && got[i-1].key > u.key {
			t.Fatalf("uploads not ordered by key: %v", got)
		}
	}
	for _, u := range ups {
		if !seen[u] {
			t.Fatalf("upload %v not listed", u)
		}
	}
	out, err := h.aws.ListMultipartUploads(c, &s3.ListMultipartUploadsInput{Bucket: aws.String(b), Delimiter: aws.String("/")})
	check(t, err, "ListMultipartUploads delimiter")
	if len(out.CommonPrefixes) != 1 || str(out.CommonPrefixes[0].Prefix) != "a/" || len(out.Uploads) != 4 {
		t.Fatalf("delimiter: prefixes %v, %d uploads", out.CommonPrefixes, len(out.Uploads))
	}
	out, err = h.aws.ListMultipartUploads(c, &s3.ListMultipartUploadsInput{Bucket: aws.String(b), Prefix: aws.String("a/")})
	check(t, err, "ListMultipartUploads prefix")
	if len(out.Uploads) != 2 {
		t.Fatalf("prefix: %d uploads", len(out.Uploads))
	}
	for _, u := range ups {
		_, err := h.aws.AbortMultipartUpload(c, &s3.AbortMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(u.key), UploadId: aws.String(u.id)})
		check(t, err, "AbortMultipartUpload")
	}
	out, err = h.aws.ListMultipartUploads(c, &s3.ListMultipartUploadsInput{Bucket: aws.String(b)})
	check(t, err, "ListMultipartUploads")
	if len(out.Uploads) != 0 {
		t.Fatalf("%d uploads left after aborting all", len(out.Uploads))
	}
	h.do(t, rawRequest{method: "GET", path: "/s3test-never-created", query: "uploads"}).wantError(t, http.StatusNotFound, "NoSuchBucket")
}
