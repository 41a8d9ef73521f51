package sigv4

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Round trips through the minio-go client against a test server whose
// handler calls Verify.

func minioClient(t *testing.T, srvURL string, transport http.RoundTripper, trailers bool) *minio.Client {
	u, _ := url.Parse(srvURL)
	c, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(testAK, testSK, ""),
		Secure:       u.Scheme == "https",
		Region:       testRegion,
		Transport:    transport,
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   1,
		// mc turns this on for MinIO servers.
		TrailingHeaders: trailers,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMinioClientPutObject(t *testing.T) {
	for _, c := range []struct {
		tls, trailers bool
		want          PayloadMode
	}{
		{false, false, PayloadStreamingSigned},
		{false, true, PayloadStreamingSignedTrailer},
		{true, false, PayloadUnsigned},
		{true, true, PayloadStreamingUnsignedTrailer},
	} {
		t.Run(fmt.Sprintf("tls=%v,trailers=%v", c.tls, c.trailers), func(t *testing.T) {
			f, srv := newFakeS3(t, c.tls)
			mc := minioClient(t, srv.URL, srv.Client().Transport, c.trailers)
			ctx := context.Background()
			data := pattern(200 << 10)
			var opts minio.PutObjectOptions
			if c.trailers {
				opts.Checksum = minio.ChecksumCRC32C
			}
			for _, key := range awkwardKeys {
				_, err := mc.PutObject(ctx, "bucket", key, bytes.NewReader(data), int64(len(data)), opts)
				if err != nil {
					t.Fatalf("PutObject %q: %v", key, err)
				}
			}
			// Multipart: 5 MiB parts.
			big := pattern(5<<20 + 1000)
			_, err := mc.PutObject(ctx, "bucket", "big object", bytes.NewReader(big), int64(len(big)), minio.PutObjectOptions{PartSize: 5 << 20, Checksum: opts.Checksum})
			if err != nil {
				t.Fatalf("multipart PutObject: %v", err)
			}
			obj, err := mc.GetObject(ctx, "bucket", awkwardKeys[2], minio.GetObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(obj)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("GetObject: %v, %d bytes", err, len(got))
			}
			u, err := mc.PresignedGetObject(ctx, "bucket", awkwardKeys[3], time.Hour, url.Values{"response-content-type": {"a/b c"}})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Get(u.String())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("presigned GET: %s", resp.Status)
			}

			puts := 0
			for _, r := range f.requests() {
				if r.Err != nil {
					t.Errorf("%s %s?%s: %v", r.Method, r.Path, r.Query, r.Err)
				}
				if r.Method != http.MethodPut {
					continue
				}
				puts++
				if r.Payload != c.want {
					t.Errorf("PUT %s?%s: payload %s, want %s", r.Path, r.Query, r.Payload, c.want)
				}
				if c.trailers && (!r.HasChecksum || !r.Checksum.Trailer || r.Checksum.Value != checksumOf(r.Checksum.Algorithm, r.Body)) {
					t.Errorf("PUT %s?%s: checksum %+v %v", r.Path, r.Query, r.Checksum, r.HasChecksum)
				}
			}
			if puts != len(awkwardKeys)+2 {
				t.Errorf("%d PUTs", puts)
			}
		})
	}
}
