package s3test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func testCopy(t *testing.T, h *harness) {
	c := ctx(t)
	b, b2 := h.bucket(t), h.bucket(t)
	data := pattern(70000, 3)
	src := "src dir/ü+?#%.bin"
	srcSpec := b + "/" + escapeKey(src)
	_, err := h.aws.PutObject(c, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(src), Body: bytes.NewReader(data),
		ContentType: aws.String("application/x-src"), Metadata: map[string]string{"origin": "source"}, ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
	check(t, err, "PutObject")
	etag := md5ETag(data)

	// COPY keeps data, ETag, checksum and metadata.
	out, err := h.aws.CopyObject(c, &s3.CopyObjectInput{Bucket: aws.String(b2), Key: aws.String("copy"), CopySource: aws.String(srcSpec)})
	check(t, err, "CopyObject")
	if out.CopyObjectResult == nil || str(out.CopyObjectResult.ETag) != etag || out.CopyObjectResult.LastModified == nil {
		t.Fatalf("CopyObject result %+v", out.CopyObjectResult)
	}
	got, get := h.get(t, b2, "copy")
	if !bytes.Equal(got, data) || str(get.ContentType) != "application/x-src" || get.Metadata["origin"] != "source" || str(get.ETag) != etag {
		t.Fatalf("copy: %d bytes, type %q, meta %q, ETag %s", len(got), str(get.ContentType), get.Metadata, str(get.ETag))
	}
	head, err := h.aws.HeadObject(c, &s3.HeadObjectInput{Bucket: aws.String(b2), Key: aws.String("copy"), ChecksumMode: types.ChecksumModeEnabled})
	check(t, err, "HeadObject")
	if str(head.ChecksumCRC32C) != checksumOf("CRC32C", data) {
		t.Errorf("copy lost the checksum: %q", str(head.ChecksumCRC32C))
	}

	// REPLACE takes the request's metadata.
	_, err = h.aws.CopyObject(c, &s3.CopyObjectInput{Bucket: aws.String(b2), Key: aws.String("replaced"), CopySource: aws.String(srcSpec + "?versionId=null"),
		MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("text/plain"), Metadata: map[string]string{"new": "yes"}})
	check(t, err, "CopyObject REPLACE")
	_, get = h.get(t, b2, "replaced")
	if str(get.ContentType) != "text/plain" || len(get.Metadata) != 1 || get.Metadata["new"] != "yes" {
		t.Fatalf("REPLACE: type %q, meta %q", str(get.ContentType), get.Metadata)
	}

	// Onto itself: only with REPLACE.
	_, err = h.aws.CopyObject(c, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String(src), CopySource: aws.String(srcSpec)})
	wantCode(t, err, "InvalidRequest", 400)
	_, err = h.aws.CopyObject(c, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String(src), CopySource: aws.String(srcSpec),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"origin": "self"}})
	check(t, err, "CopyObject onto itself with REPLACE")
	if got, get := h.get(t, b, src); !bytes.Equal(got, data) || get.Metadata["origin"] != "self" {
		t.Fatalf("self copy: %d bytes, meta %q", len(got), get.Metadata)
	}

	// Sources that do not exist.
	_, err = h.aws.CopyObject(c, &s3.CopyObjectInput{Bucket: aws.String(b2), Key: aws.String("x"), CopySource: aws.String(b + "/missing")})
	wantCode(t, err, "NoSuchKey", 404)
	_, err = h.aws.CopyObject(c, &s3.CopyObjectInput{Bucket: aws.String(b2), Key: aws.String("x"), CopySource: aws.String("s3test-never-created/k")})
	wantCode(t, err, "NoSuchBucket", 404)
	_, err = h.aws.CopyObject(c, &s3.CopyObjectInput{Bucket: aws.String("s3test-never-created"), Key: aws.String("x"), CopySource: aws.String(srcSpec)})
	wantCode(t, err, "NoSuchBucket", 404)
	h.do(t, rawRequest{method: "PUT", path: "/" + b2 + "/x", header: http.Header{"X-Amz-Copy-Source": {"no-key"}}}).wantError(t, 400, "InvalidArgument")
	h.do(t, rawRequest{method: "PUT", path: "/" + b2 + "/x", header: http.Header{"X-Amz-Copy-Source": {srcSpec}, "X-Amz-Metadata-Directive": {"MERGE"}}}).wantError(t, 400, "InvalidArgument")

	// x-amz-copy-source-if-*, with S3's precedence.
	past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	for _, tc := range []struct {
		name string
		in   s3.CopyObjectInput
		ok   bool
	}{
		{"if-match", s3.CopyObjectInput{CopySourceIfMatch: aws.String(etag)}, true},
		{"if-match wrong", s3.CopyObjectInput{CopySourceIfMatch: aws.String(`"0123"`)}, false},
		{"if-none-match", s3.CopyObjectInput{CopySourceIfNoneMatch: aws.String(etag)}, false},
		{"if-none-match other", s3.CopyObjectInput{CopySourceIfNoneMatch: aws.String(`"0123"`)}, true},
		{"if-modified-since past", s3.CopyObjectInput{CopySourceIfModifiedSince: aws.Time(past)}, true},
		{"if-modified-since future", s3.CopyObjectInput{CopySourceIfModifiedSince: aws.Time(future)}, false},
		{"if-unmodified-since past", s3.CopyObjectInput{CopySourceIfUnmodifiedSince: aws.Time(past)}, false},
		{"if-match true, if-unmodified-since false", s3.CopyObjectInput{CopySourceIfMatch: aws.String(etag), CopySourceIfUnmodifiedSince: aws.Time(past)}, true},
		{"if-none-match false, if-modified-since true", s3.CopyObjectInput{CopySourceIfNoneMatch: aws.String(etag), CopySourceIfModifiedSince: aws.Time(past)}, false},
	} {
		in := tc.in
		in.Bucket, in.Key, in.CopySource = aws.String(b2), aws.String("cond"), aws.String(srcSpec)
		_, err := h.aws.CopyObject(c, &in)
		if tc.ok {
			check(t, err, "CopyObject "+tc.name)
		} else {
			wantCode(t, err, "PreconditionFailed", 412)
		}
	}
}
