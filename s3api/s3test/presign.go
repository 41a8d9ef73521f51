package s3test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func testPresigned(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	hc := h.tlsSrv.Client()
	pc := s3.NewPresignClient(h.aws)
	for i, key := range awkwardKeys[:8] {
		data := pattern(1000+i, uint64(40+i))
		put, err := pc.PresignPutObject(c, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), ContentType: aws.String("text/x-presigned")})
		check(t, err, "PresignPutObject")
		req, _ := http.NewRequest(put.Method, put.URL, bytes.NewReader(data))
		for k, v := range put.SignedHeader {
			if k != "Host" {
				req.Header[k] = v
			}
		}
		resp, err := hc.Do(req)
		check(t, err, "presigned PUT")
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Etag") != md5ETag(data) {
			t.Fatalf("presigned PUT %q: %s, ETag %q", key, resp.Status, resp.Header.Get("Etag"))
		}

		get, err := pc.PresignGetObject(c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key),
			ResponseContentDisposition: aws.String(`attachment; filename="x y.txt"`)}, s3.WithPresignExpires(time.Minute))
		check(t, err, "PresignGetObject")
		resp, err = hc.Get(get.URL)
		check(t, err, "presigned GET")
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(got, data) || resp.Header.Get("Content-Type") != "text/x-presigned" ||
			resp.Header.Get("Content-Disposition") != `attachment; filename="x y.txt"` {
			t.Fatalf("presigned GET %q: %s, %d bytes, type %q, disposition %q", key, resp.Status, len(got),
				resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
		}
		// The signature covers the query: changing it is denied.
		u, _ := url.Parse(get.URL)
		q := u.Query()
		q.Set("response-content-type", "text/evil")
		u.RawQuery = q.Encode()
		resp, err = hc.Get(u.String())
		check(t, err, "tampered presigned GET")
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("tampered presigned GET: %s", resp.Status)
		}
	}

	// minio-go's presigned URLs (plain HTTP).
	data := []byte("minio presigned")
	pu, err := h.minio.PresignedPutObject(c, b, "minio presigned", time.Minute)
	check(t, err, "minio PresignedPutObject")
	req, _ := http.NewRequest("PUT", pu.String(), bytes.NewReader(data))
	resp, err := h.plainSrv.Client().Do(req)
	check(t, err, "minio presigned PUT")
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("minio presigned PUT: %s", resp.Status)
	}
	gu, err := h.minio.PresignedGetObject(c, b, "minio presigned", time.Minute, url.Values{"response-content-type": {"a/b c"}})
	check(t, err, "minio PresignedGetObject")
	resp, err = h.plainSrv.Client().Get(gu.String())
	check(t, err, "minio presigned GET")
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, data) || resp.Header.Get("Content-Type") != "a/b c" {
		t.Fatalf("minio presigned GET: %s %q %q", resp.Status, got, resp.Header.Get("Content-Type"))
	}
}
