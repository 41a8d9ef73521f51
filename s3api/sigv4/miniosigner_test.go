package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/signer"
)

// Requests produced by minio-go's signer package: header and presigned
// signatures, signed aws-chunked streaming (with and without trailers) and
// unsigned aws-chunked with a trailing checksum. minio-go encodes the chunk
// framing itself, independently of this package.

// sha256Hasher adapts crypto/sha256 to the hasher interface minio-go wants.
type sha256Hasher struct{ hash.Hash }

func (sha256Hasher) Close() {}

func checksumOf(a ChecksumAlgorithm, data []byte) string {
	h := a.New()
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// minioStreaming returns a server-side request whose body was framed and
// signed by minio-go's StreamingSignV4, optionally with a signed checksum
// trailer, and the encoded body.
func minioStreaming(t testing.TB, data []byte, trailer ChecksumAlgorithm, at time.Time) (*http.Request, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, "http://minio.example.com:9000/bucket/obj%20ect", bytes.NewReader(data))
	req.Header.Set("X-Amz-Meta-Color", "green")
	req.ContentLength = int64(len(data))
	if trailer != "" {
		req.Trailer = http.Header{}
		req.Trailer.Set(trailer.HeaderName(), checksumOf(trailer, data))
	}
	req = signer.StreamingSignV4(req, testAK, testSK, "", testRegion, int64(len(data)), at, sha256Hasher{sha256.New()})
	sreq := wire(t, req)
	enc, err := io.ReadAll(sreq.Body)
	if err != nil {
		t.Fatal(err)
	}
	return withBody(sreq, enc), enc
}

// minioUnsignedTrailer returns a server-side request signed by minio-go's
// SignV4Trailer: an unsigned aws-chunked body ending in a checksum trailer.
func minioUnsignedTrailer(t testing.TB, data []byte, alg ChecksumAlgorithm) (*http.Request, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, "http://minio.example.com:9000/bucket/part?partNumber=3&uploadId=xyz", bytes.NewReader(data))
	req.ContentLength = int64(len(data))
	req.Header.Set("X-Amz-Content-Sha256", streamingUnsignedPayloadTrailer)
	tr := http.Header{}
	tr.Set(alg.HeaderName(), checksumOf(alg, data))
	req = signer.SignV4Trailer(*req, testAK, testSK, "", testRegion, tr)
	sreq := wire(t, req)
	enc, err := io.ReadAll(sreq.Body)
	if err != nil {
		t.Fatal(err)
	}
	return withBody(sreq, enc), enc
}

var streamSizes = []int{0, 1, 100, 64 << 10, 64<<10 + 1, 3*64<<10 - 7}

func TestMinioStreamingSigned(t *testing.T) {
	v := newTestVerifier(t)
	for _, n := range streamSizes {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			data := pattern(n)
			at := time.Now().UTC().Truncate(time.Second)
			r, _ := minioStreaming(t, data, "", at)
			res, got := mustVerify(t, v, r, at)
			if !bytes.Equal(got, data) {
				t.Fatalf("decoded %d bytes, want %d", len(got), n)
			}
			if res.Payload != PayloadStreamingSigned || res.DecodedContentLength != int64(n) || res.ContentEncoding != "" {
				t.Errorf("result = %+v", res)
			}
			if _, ok := res.Body.Checksum(); ok {
				t.Error("checksum reported without one being sent")
			}
		})
	}
}

func TestMinioStreamingSignedTrailer(t *testing.T) {
	v := newTestVerifier(t)
	for _, alg := range ChecksumAlgorithms {
		for _, n := range []int{1, 64<<10 + 1} {
			t.Run(string(alg)+"/"+strconv.Itoa(n), func(t *testing.T) {
				data := pattern(n)
				at := time.Now().UTC().Truncate(time.Second)
				r, _ := minioStreaming(t, data, alg, at)
				res, got := mustVerify(t, v, r, at)
				if !bytes.Equal(got, data) {
					t.Fatalf("decoded %d bytes, want %d", len(got), n)
				}
				c, ok := res.Body.Checksum()
				if res.Payload != PayloadStreamingSignedTrailer || !ok || c.Algorithm != alg ||
					c.Value != checksumOf(alg, data) || !c.Trailer {
					t.Errorf("result = %+v, checksum %+v %v", res, c, ok)
				}
			})
		}
	}
}

func TestMinioUnsignedTrailer(t *testing.T) {
	v := newTestVerifier(t)
	for _, alg := range ChecksumAlgorithms {
		for _, n := range []int{1, 64 << 10, 200000} {
			t.Run(string(alg)+"/"+strconv.Itoa(n), func(t *testing.T) {
				data := pattern(n)
				r, _ := minioUnsignedTrailer(t, data, alg)
				res, got := mustVerify(t, v, r, time.Now())
				if !bytes.Equal(got, data) {
					t.Fatalf("decoded %d bytes, want %d", len(got), n)
				}
				c, ok := res.Body.Checksum()
				if res.Payload != PayloadStreamingUnsignedTrailer || !ok || c.Algorithm != alg || c.Value != checksumOf(alg, data) {
					t.Errorf("result = %+v, checksum %+v %v", res, c, ok)
				}
			})
		}
	}
}

func TestMinioSignV4AndPresign(t *testing.T) {
	v := newTestVerifier(t)
	for _, path := range awkwardPaths {
		t.Run(path, func(t *testing.T) {
			body := []byte("minio body")
			req, err := http.NewRequest(http.MethodPut, "http://minio.example.com"+path+"?uploadId=a%2Bb&partNumber=2", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
			req.Header.Set("Content-Md5", md5b64(body))
			r := wire(t, signer.SignV4(*req, testAK, testSK, "", testRegion))
			_, got := mustVerify(t, v, r, time.Now())
			if !bytes.Equal(got, body) {
				t.Errorf("body = %q", got)
			}

			preq, _ := http.NewRequest(http.MethodGet, "http://minio.example.com"+path+"?versionId=v1", nil)
			preq = signer.PreSignV4(*preq, testAK, testSK, "", testRegion, 300)
			res, _ := mustVerify(t, v, wire(t, preq), time.Now())
			if !res.Presigned {
				t.Error("not presigned")
			}
			_, err = v.Verify(wire(t, preq), time.Now().Add(6*time.Minute))
			wantErr(t, err, ErrRequestExpired)
		})
	}
}

func signerStreaming(req *http.Request, n int64, at time.Time) *http.Request {
	return signer.StreamingSignV4(req, testAK, testSK, "", testRegion, n, at, sha256Hasher{sha256.New()})
}

func signerTrailer(req *http.Request, trailer http.Header) *http.Request {
	return signer.SignV4Trailer(*req, testAK, testSK, "", testRegion, trailer)
}
