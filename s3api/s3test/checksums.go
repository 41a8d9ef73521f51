package s3test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"mapstore/s3api/sigv4"
)

func checksumOf(alg sigv4.ChecksumAlgorithm, data []byte) string {
	h := alg.New()
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func contentMD5(data []byte) string {
	s := md5.Sum(data)
	return base64.StdEncoding.EncodeToString(s[:])
}

// checksumField returns the output field of an algorithm.
func checksumField(alg sigv4.ChecksumAlgorithm, crc32, crc32c, crc64, sha1, sha256 *string) string {
	switch alg {
	case sigv4.ChecksumCRC32:
		return str(crc32)
	case sigv4.ChecksumCRC32C:
		return str(crc32c)
	case sigv4.ChecksumCRC64NVME:
		return str(crc64)
	case sigv4.ChecksumSHA1:
		return str(sha1)
	}
	return str(sha256)
}

func testChecksums(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	data := pattern(200<<10, 7)
	for _, alg := range sigv4.ChecksumAlgorithms {
		want := checksumOf(alg, data)
		for name, cl := range map[string]*s3.Client{"tls": h.aws, "plain": h.awsPlain} {
			key := "ck-" + string(alg) + "-" + name
			put, err := cl.PutObject(c, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(data),
				ChecksumAlgorithm: types.ChecksumAlgorithm(alg)})
			check(t, err, "PutObject "+key)
			if got := checksumField(alg, put.ChecksumCRC32, put.ChecksumCRC32C, put.ChecksumCRC64NVME, put.ChecksumSHA1, put.ChecksumSHA256); got != want {
				t.Fatalf("PutObject %s: checksum %q, want %q", key, got, want)
			}
			// The SDK asks for the checksum and validates the body against it.
			get, err := cl.GetObject(c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			check(t, err, "GetObject")
			got, _ := readAllClose(get.Body)
			if !bytes.Equal(got, data) {
				t.Fatalf("GetObject %s: %d bytes", key, len(got))
			}
			if ck := checksumField(alg, get.ChecksumCRC32, get.ChecksumCRC32C, get.ChecksumCRC64NVME, get.ChecksumSHA1, get.ChecksumSHA256); ck != want {
				t.Fatalf("GetObject %s: checksum %q, want %q", key, ck, want)
			}
			head, err := cl.HeadObject(c, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			check(t, err, "HeadObject")
			if ck := checksumField(alg, head.ChecksumCRC32, head.ChecksumCRC32C, head.ChecksumCRC64NVME, head.ChecksumSHA1, head.ChecksumSHA256); ck != want {
				t.Fatalf("HeadObject %s: checksum %q, want %q", key, ck, want)
			}
		}
	}
	// Only when asked for, and never for part of the object.
	key := "ck-" + string(sigv4.ChecksumSHA256) + "-tls"
	r := h.do(t, rawRequest{method: "GET", path: "/" + b + "/" + key})
	if r.status != 200 || r.header.Get("X-Amz-Checksum-Sha256") != "" {
		t.Fatalf("GET without x-amz-checksum-mode: %d, checksum %q", r.status, r.header.Get("X-Amz-Checksum-Sha256"))
	}
	r = h.do(t, rawRequest{method: "HEAD", path: "/" + b + "/" + key})
	if r.status != 200 || r.header.Get("X-Amz-Checksum-Sha256") != "" {
		t.Fatalf("HEAD without x-amz-checksum-mode: %d, checksum %q", r.status, r.header.Get("X-Amz-Checksum-Sha256"))
	}
	r = h.do(t, rawRequest{method: "GET", path: "/" + b + "/" + key, header: http.Header{"X-Amz-Checksum-Mode": {"ENABLED"}, "Range": {"bytes=0-9"}}})
	if r.status != 206 || r.header.Get("X-Amz-Checksum-Sha256") != "" {
		t.Fatalf("range GET: %d, checksum %q", r.status, r.header.Get("X-Amz-Checksum-Sha256"))
	}
	// A checksum announced as a trailer of an unsigned aws-chunked body.
	body, hdr := awsChunkedUnsigned(data, 64<<10, "x-amz-checksum-crc32c", checksumOf(sigv4.ChecksumCRC32C, data))
	r = h.do(t, rawRequest{method: "PUT", path: "/" + b + "/trailer", body: body, header: hdr, payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"})
	if r.status != 200 || r.header.Get("X-Amz-Checksum-Crc32c") != checksumOf(sigv4.ChecksumCRC32C, data) || r.header.Get("Etag") != md5ETag(data) {
		t.Fatalf("aws-chunked PUT: %d %s, checksum %q, ETag %q", r.status, r.body, r.header.Get("X-Amz-Checksum-Crc32c"), r.header.Get("Etag"))
	}
	if got, _ := h.get(t, b, "trailer"); !bytes.Equal(got, data) {
		t.Fatalf("aws-chunked PUT stored %d bytes", len(got))
	}
}

// testBadDigest: a body that does not match what the request promised is
// rejected and leaves nothing behind, also when the mismatch is known only
// at the very end of the body.
func testBadDigest(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	data := pattern(300<<10, 8)
	wrongCRC := checksumOf(sigv4.ChecksumCRC32, []byte("other"))

	_, err := h.aws.PutObject(c, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("crc"), Body: bytes.NewReader(data), ChecksumCRC32: aws.String(wrongCRC)})
	wantCode(t, err, "BadDigest", 400)
	h.wantMissing(t, b, "crc")
	_, err = h.awsPlain.PutObject(c, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("md5"), Body: bytes.NewReader(data), ContentMD5: aws.String(contentMD5([]byte("other")))})
	wantCode(t, err, "BadDigest", 400)
	h.wantMissing(t, b, "md5")

	// Over an existing object: the old one stays.
	h.put(t, b, "keep", []byte("old"))
	body, hdr := awsChunkedUnsigned(data, 64<<10, "x-amz-checksum-crc32", wrongCRC)
	h.do(t, rawRequest{method: "PUT", path: "/" + b + "/keep", body: body, header: hdr, payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}).wantError(t, 400, "BadDigest")
	if got, _ := h.get(t, b, "keep"); string(got) != "old" {
		t.Fatalf("failed PUT replaced the object: %d bytes", len(got))
	}
	// x-amz-content-sha256 of other data.
	h.do(t, rawRequest{method: "PUT", path: "/" + b + "/sha", body: data,
		payloadHash: strings.Repeat("ab", 32)}).wantError(t, 400, "XAmzContentSHA256Mismatch")
	h.wantMissing(t, b, "sha")
	// A multipart part with a bad checksum is not stored either.
	up, err := h.aws.CreateMultipartUpload(c, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("mp")})
	check(t, err, "CreateMultipartUpload")
	_, err = h.aws.UploadPart(c, &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader(data), ChecksumCRC32: aws.String(wrongCRC)})
	wantCode(t, err, "BadDigest", 400)
	parts, err := h.aws.ListParts(c, &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("mp"), UploadId: up.UploadId})
	check(t, err, "ListParts")
	if len(parts.Parts) != 0 {
		t.Fatalf("a part with a bad checksum was stored: %+v", parts.Parts)
	}
}
