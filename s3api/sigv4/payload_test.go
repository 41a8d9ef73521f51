package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"testing"
	"testing/iotest"
	"time"
)

// signedPut returns a server-side request signed by aws-sdk-go-v2 with the
// given payload hash ("" for the SHA-256 of body) and extra headers.
func signedPut(t *testing.T, target string, body []byte, payload string, headers map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, "http://s3.example.com"+target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if payload == "" {
		sum := sha256.Sum256(body)
		payload = hex.EncodeToString(sum[:])
	}
	req.Header.Set("X-Amz-Content-Sha256", payload)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if err := awsSigner().SignHTTP(context.Background(), awsCreds, req, payload, "s3", testRegion, testNow); err != nil {
		t.Fatal(err)
	}
	return wire(t, req)
}

func TestHeaderChecksums(t *testing.T) {
	v := newTestVerifier(t)
	data := pattern(5000)
	for _, alg := range ChecksumAlgorithms {
		for _, payload := range []string{"", unsignedPayload} {
			t.Run(string(alg)+"/"+payload, func(t *testing.T) {
				good := checksumOf(alg, data)
				res, got := mustVerify(t, v, signedPut(t, "/b/k", data, payload, map[string]string{alg.HeaderName(): good}), testNow)
				c, ok := res.Body.Checksum()
				if !bytes.Equal(got, data) || !ok || c != (Checksum{Algorithm: alg, Value: good}) {
					t.Errorf("checksum = %+v %v", c, ok)
				}

				bad := checksumOf(alg, data[1:])
				err := verifyErr(t, v, signedPut(t, "/b/k", data, payload, map[string]string{alg.HeaderName(): bad}), testNow)
				wantErr(t, err, ErrChecksumMismatch)
				if code, status := S3Code(err); code != "BadDigest" || status != 400 {
					t.Errorf("S3Code = %s %d", code, status)
				}

				_, err = v.Verify(signedPut(t, "/b/k", data, payload, map[string]string{alg.HeaderName(): good[1:]}), testNow)
				wantErr(t, err, ErrInvalidChecksum)
			})
		}
	}
}

func TestPayloadHeaders(t *testing.T) {
	v := newTestVerifier(t)
	data := []byte("some data")
	crc := checksumOf(ChecksumCRC32, data)
	cases := map[string]struct {
		target  string
		payload string
		headers map[string]string
		want    error
	}{
		"content-md5":          {"/b/k", "", map[string]string{"Content-Md5": md5b64(data)}, nil},
		"wrong content-md5":    {"/b/k", unsignedPayload, map[string]string{"Content-Md5": md5b64(data[1:])}, ErrBadDigest},
		"invalid content-md5":  {"/b/k", "", map[string]string{"Content-Md5": "AAAA"}, ErrInvalidDigest},
		"two checksums":        {"/b/k", "", map[string]string{"X-Amz-Checksum-Crc32": crc, "X-Amz-Checksum-Sha1": checksumOf(ChecksumSHA1, data)}, ErrInvalidChecksum},
		"trailer not streamed": {"/b/k", unsignedPayload, map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32"}, ErrInvalidArgument},
		"unsupported trailer":  {"/b/k", streamingUnsignedPayloadTrailer, map[string]string{"X-Amz-Trailer": "x-amz-meta-foo"}, ErrInvalidChecksum},
		"header and trailer":   {"/b/k", streamingUnsignedPayloadTrailer, map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32", "X-Amz-Checksum-Crc32": crc}, ErrInvalidChecksum},
		"bad decoded length":   {"/b/k", streamingUnsignedPayloadTrailer, map[string]string{"X-Amz-Decoded-Content-Length": "-1"}, ErrInvalidArgument},
		"sigv4a streaming":     {"/b/k", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", nil, ErrInvalidContentSHA256},
		"complete multipart":   {"/b/k?uploadId=u", "", map[string]string{"X-Amz-Checksum-Crc32": "AAAAAA==-3"}, nil},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := signedPut(t, c.target, data, c.payload, c.headers)
			if name == "complete multipart" {
				r.Method = http.MethodPost
				r = signedPost(t, c.target, data, c.headers)
			}
			err := verifyErr(t, v, r, testNow)
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, c.want)
		})
	}
}

func signedPost(t *testing.T, target string, body []byte, headers map[string]string) *http.Request {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://s3.example.com"+target, bytes.NewReader(body))
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", payload)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if err := awsSigner().SignHTTP(context.Background(), awsCreds, req, payload, "s3", testRegion, testNow); err != nil {
		t.Fatal(err)
	}
	return wire(t, req)
}

func TestMissingContentSHA256(t *testing.T) {
	v := newTestVerifier(t)
	sign := func(method string, body []byte) *http.Request {
		req, _ := http.NewRequest(method, "http://s3.example.com/b/k", bytes.NewReader(body))
		if len(body) == 0 {
			req.Body, req.ContentLength = nil, 0
		}
		sum := sha256.Sum256(body)
		// A generic SigV4 signer: the body hash is signed but not sent.
		if err := v4SignerGeneric(req, hex.EncodeToString(sum[:])); err != nil {
			t.Fatal(err)
		}
		return wire(t, req)
	}
	mustVerify(t, v, sign(http.MethodGet, nil), testNow)
	_, err := v.Verify(sign(http.MethodPut, []byte("data")), testNow)
	wantErr(t, err, ErrMissingContentSHA256)
	if code, _ := S3Code(err); code != "MissingSecurityHeader" {
		t.Errorf("code = %s", code)
	}
}

func v4SignerGeneric(req *http.Request, payload string) error {
	return awsSigner().SignHTTP(context.Background(), awsCreds, req, payload, "s3", testRegion, testNow)
}

func TestBodyTruncatedOnTheWire(t *testing.T) {
	v := newTestVerifier(t)
	data := pattern(10000)
	for _, payload := range []string{"", unsignedPayload} {
		r := signedPut(t, "/b/k", data, payload, nil)
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(data[:5000]), iotest.ErrReader(io.ErrUnexpectedEOF)))
		err := verifyErr(t, v, r, testNow)
		wantErr(t, err, ErrIncompleteBody)
	}
}

func TestResultFields(t *testing.T) {
	v := newTestVerifier(t)
	data := pattern(1000)
	r, _ := minioUnsignedTrailer(t, data, ChecksumSHA1)
	r.Header.Set("Content-Encoding", "aws-chunked,gzip")
	_, err := v.Verify(r, time.Now())
	wantErr(t, err, ErrSignatureDoesNotMatch) // Content-Encoding is signed

	req, _ := http.NewRequest(http.MethodPut, "http://s3.example.com/b/k", bytes.NewReader(data))
	req.ContentLength = int64(len(data))
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("X-Amz-Content-Sha256", streamingUnsignedPayloadTrailer)
	tr := http.Header{}
	tr.Set("x-amz-checksum-sha1", checksumOf(ChecksumSHA1, data))
	req = signerTrailer(req, tr)
	res, err := v.Verify(wire(t, req), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.ContentEncoding != "gzip" || res.DecodedContentLength != int64(len(data)) {
		t.Errorf("result = %+v", res)
	}
	if _, ok := res.Body.Checksum(); ok {
		t.Error("checksum reported before EOF")
	}
	got, err := readBody(t, res)
	if err != nil || !bytes.Equal(got, data) || res.Body.BytesRead() != int64(len(data)) {
		t.Fatalf("body: %v", err)
	}
	if c, ok := res.Body.Checksum(); !ok || c.Algorithm != ChecksumSHA1 || !c.Trailer {
		t.Errorf("checksum = %+v %v", c, ok)
	}
	if err := res.Body.Close(); err != nil {
		t.Error(err)
	}
}

func signedGet(t *testing.T, target string) *http.Request {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://s3.example.com"+target, nil)
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	if err := v4SignerGeneric(req, emptySHA256); err != nil {
		t.Fatal(err)
	}
	return wire(t, req)
}
