package s3test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/minio/minio-go/v7"
)

// wantCode fails the test unless err is an S3 error with that code (""
// for any: HEAD answers carry no body) and HTTP status.
func wantCode(t *testing.T, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s (%d)", code, status)
	}
	gotCode, gotStatus := errorCode(err)
	if (code != "" && gotCode != code) || gotStatus != status {
		t.Fatalf("error %s (%d), want %s (%d): %v", gotCode, gotStatus, code, status, err)
	}
}

// errorCode extracts the S3 error code and HTTP status from an
// aws-sdk-go-v2 or minio-go error.
func errorCode(err error) (string, int) {
	var mr minio.ErrorResponse
	if errors.As(err, &mr) {
		return mr.Code, mr.StatusCode
	}
	code, status := "", 0
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var st interface{ HTTPStatusCode() int }
	if errors.As(err, &st) {
		status = st.HTTPStatusCode()
	}
	return code, status
}

func check(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// pattern returns n reproducible pseudo-random bytes.
func pattern(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

func md5ETag(b []byte) string {
	s := md5.Sum(b)
	return `"` + hex.EncodeToString(s[:]) + `"`
}

// put stores data under key with the TLS client.
func (h *harness) put(t *testing.T, bucket, key string, data []byte) *s3.PutObjectOutput {
	t.Helper()
	out, err := h.aws.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	check(t, err, "PutObject "+key)
	return out
}

// get reads key whole with the TLS client.
func (h *harness) get(t *testing.T, bucket, key string) ([]byte, *s3.GetObjectOutput) {
	t.Helper()
	out, err := h.aws.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	check(t, err, "GetObject "+key)
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	check(t, err, "reading GetObject body")
	return b, out
}

// wantMissing fails unless key does not exist.
func (h *harness) wantMissing(t *testing.T, bucket, key string) {
	t.Helper()
	_, err := h.aws.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	wantCode(t, err, "", 404)
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func readAllClose(r io.ReadCloser) ([]byte, error) {
	defer r.Close()
	return io.ReadAll(r)
}
