package s3client_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"mapstore/internal/s3client"
	"mapstore/localstore"
	"mapstore/s3api"
	"mapstore/s3api/sigv4"
)

const (
	testAccessKey = "AKIDS3CLIENTTEST0001"
	testSecretKey = "s3client-test-secret-key-0123456789abcdef"
)

// startServer serves the S3 API over a fresh store on a local port and
// returns its URL.
func startServer(t *testing.T) string {
	t.Helper()
	store, err := localstore.Open(localstore.Options{Dir: t.TempDir(), Capacity: 64 << 20, JournalSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	h, err := s3api.New(s3api.Options{
		Backend: store,
		Auth: sigv4.Config{Credentials: sigv4.StaticCredentials{
			testAccessKey: {AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey},
		}},
		Region: "us-east-1",
	})
	if err != nil {
		store.Close()
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		if err := store.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
	})
	return srv.URL
}

func newClient(t *testing.T, endpoint, secret string) *s3client.Client {
	t.Helper()
	c, err := s3client.New(s3client.Options{Endpoint: endpoint, AccessKey: testAccessKey, SecretKey: secret})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func quotedMD5(b []byte) string {
	sum := md5.Sum(b)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// responseError returns the *ResponseError in err, failing the test if
// there is none.
func responseError(t *testing.T, err error) *s3client.ResponseError {
	t.Helper()
	var rerr *s3client.ResponseError
	if !errors.As(err, &rerr) {
		t.Fatalf("error %v (%T) carries no *ResponseError", err, err)
	}
	return rerr
}

func TestClientRoundTrip(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, startServer(t), testSecretKey)
	if err := c.CreateBucket(ctx, "photos"); err != nil {
		t.Fatal(err)
	}
	err := c.CreateBucket(ctx, "photos")
	if !s3client.HasCode(err, "BucketAlreadyOwnedByYou") || s3client.StatusCode(err) != http.StatusConflict {
		t.Fatalf("second CreateBucket: %v, want 409 BucketAlreadyOwnedByYou", err)
	}

	// Keys that need encoding, and an empty object.
	objects := map[string][]byte{
		"2024/cat.jpg":             bytes.Repeat([]byte("meow "), 50_000),
		"odd key/a+b=c&d?e#f%g~!*": []byte("odd"),
		"unicode/été.txt":          []byte("summer"),
		"empty":                    nil,
	}
	for key, body := range objects {
		etag, err := c.PutObject(ctx, "photos", key, bytes.NewReader(body), int64(len(body)), nil)
		if err != nil {
			t.Fatalf("PutObject %q: %v", key, err)
		}
		if want := quotedMD5(body); etag != want {
			t.Errorf("PutObject %q: ETag %s, want %s", key, etag, want)
		}
	}
	for key, want := range objects {
		rc, info, err := c.GetObject(ctx, "photos", key, nil)
		if err != nil {
			t.Fatalf("GetObject %q: %v", key, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("GetObject %q: reading: %v", key, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("GetObject %q: %d bytes, want the %d put", key, len(got), len(want))
		}
		if info.Size != int64(len(want)) || info.ETag != quotedMD5(want) || info.LastModified.IsZero() {
			t.Errorf("GetObject %q: info %+v, want size %d, ETag %s and a time", key, info, len(want), quotedMD5(want))
		}
		head, err := c.HeadObject(ctx, "photos", key, nil)
		if err != nil {
			t.Fatalf("HeadObject %q: %v", key, err)
		}
		if head.Size != info.Size || head.ETag != info.ETag {
			t.Errorf("HeadObject %q: %+v, GetObject said %+v", key, head, info)
		}
	}

	// A Range is passed through; the size is the part's.
	rc, info, err := c.GetObject(ctx, "photos", "2024/cat.jpg", http.Header{"Range": {"bytes=5-9"}})
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(rc)
	rc.Close()
	if string(part) != "meow " || info.Size != 5 {
		t.Errorf("ranged GET: %q (size %d), want \"meow \" (5)", part, info.Size)
	}

	if err := c.DeleteObject(ctx, "photos", "2024/cat.jpg"); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.GetObject(ctx, "photos", "2024/cat.jpg", nil)
	rerr := responseError(t, err)
	if rerr.StatusCode != http.StatusNotFound || rerr.Code != "NoSuchKey" || rerr.Message == "" || rerr.RequestID == "" {
		t.Errorf("GET of a deleted key: %+v, want 404 NoSuchKey with a message and a request id", rerr)
	}
	if !s3client.IsNotFound(err) || !strings.Contains(err.Error(), "GetObject photos/2024/cat.jpg: 404 NoSuchKey") {
		t.Errorf("GET of a deleted key: %q, want IsNotFound and the operation named", err)
	}
	_, err = c.HeadObject(ctx, "photos", "2024/cat.jpg", nil)
	if rerr := responseError(t, err); rerr.StatusCode != http.StatusNotFound || rerr.Code != "NotFound" {
		t.Errorf("HEAD of a deleted key: %+v, want 404 NotFound", rerr)
	}
	if err := c.DeleteObject(ctx, "photos", "2024/cat.jpg"); err != nil {
		t.Errorf("deleting a missing key: %v, want success", err)
	}
	_, _, err = c.GetObject(ctx, "no-such-bucket", "k", nil)
	if !s3client.HasCode(err, "NoSuchBucket") || !s3client.IsNotFound(err) {
		t.Errorf("GET in a missing bucket: %v, want 404 NoSuchBucket", err)
	}
}

func TestClientConditionalWrites(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, startServer(t), testSecretKey)
	if err := c.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	put := func(body string, h http.Header) (string, error) {
		return c.PutObject(ctx, "bkt", "k", strings.NewReader(body), int64(len(body)), h)
	}
	ifNoneMatch := http.Header{"If-None-Match": {"*"}}
	etag, err := put("first", ifNoneMatch)
	if err != nil {
		t.Fatalf("If-None-Match: * on a new key: %v", err)
	}
	_, err = put("second", ifNoneMatch)
	if rerr := responseError(t, err); rerr.StatusCode != http.StatusPreconditionFailed || rerr.Code != "PreconditionFailed" {
		t.Errorf("If-None-Match: * on an existing key: %+v, want 412 PreconditionFailed", rerr)
	}
	if !s3client.IsPreconditionFailed(err) {
		t.Errorf("IsPreconditionFailed(%v) = false", err)
	}
	if _, err := put("third", http.Header{"If-Match": {`"0123456789abcdef0123456789abcdef"`}}); !s3client.IsPreconditionFailed(err) {
		t.Errorf("If-Match with another ETag: %v, want 412", err)
	}
	if _, err := put("fourth", http.Header{"If-Match": {etag}}); err != nil {
		t.Errorf("If-Match with the current ETag: %v", err)
	}
	rc, _, err := c.GetObject(ctx, "bkt", "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "fourth" {
		t.Errorf("after the conditional writes the object is %q, want \"fourth\"", got)
	}
	_, _, err = c.GetObject(ctx, "bkt", "k", http.Header{"If-None-Match": {quotedMD5([]byte("fourth"))}})
	if !s3client.IsNotModified(err) {
		t.Errorf("GET If-None-Match with the current ETag: %v, want 304", err)
	}
}

func TestClientWrongSecret(t *testing.T) {
	c := newClient(t, startServer(t), "not-the-secret")
	err := c.CreateBucket(context.Background(), "bkt")
	rerr := responseError(t, err)
	if rerr.StatusCode != http.StatusForbidden || rerr.Code != "SignatureDoesNotMatch" {
		t.Errorf("wrong secret: %+v, want 403 SignatureDoesNotMatch", rerr)
	}
}

func TestClientList(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, startServer(t), testSecretKey)
	if err := c.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 7 {
		key := fmt.Sprintf("dir/%02d", i)
		want = append(want, key)
		if _, err := c.PutObject(ctx, "bkt", key, strings.NewReader(key), int64(len(key)), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.PutObject(ctx, "bkt", "other", strings.NewReader("x"), 1, nil); err != nil {
		t.Fatal(err)
	}
	var got []string
	after, pages := "", 0
	for {
		objs, truncated, err := c.ListObjects(ctx, "bkt", "dir/", after, 3)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range objs {
			if o.Size != int64(len(o.Key)) || o.ETag != quotedMD5([]byte(o.Key)) || o.LastModified.IsZero() {
				t.Errorf("listed %+v, want size %d and ETag %s", o, len(o.Key), quotedMD5([]byte(o.Key)))
			}
			got = append(got, o.Key)
			after = o.Key
		}
		if !truncated {
			break
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || pages != 3 {
		t.Errorf("listed %v in %d pages, want %v in 3", got, pages, want)
	}
}

// TestClientConcurrent shares one client between goroutines, each with
// keys of its own (run with -race to check the client's own state).
func TestClientConcurrent(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, startServer(t), testSecretKey)
	if err := c.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 5 {
				key := fmt.Sprintf("g%d/%d", g, i)
				body := strings.Repeat(key, 100)
				if _, err := c.PutObject(ctx, "bkt", key, strings.NewReader(body), int64(len(body)), nil); err != nil {
					t.Error(err)
					return
				}
				rc, _, err := c.GetObject(ctx, "bkt", key, nil)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || string(got) != body {
					t.Errorf("GET %s: %d bytes, %v", key, len(got), err)
				}
			}
		})
	}
	wg.Wait()
}

func TestClientOptions(t *testing.T) {
	for _, opts := range []s3client.Options{
		{Endpoint: "127.0.0.1:9000", AccessKey: "a", SecretKey: "s"},
		{Endpoint: "ftp://host", AccessKey: "a", SecretKey: "s"},
		{Endpoint: "http://host?x=1", AccessKey: "a", SecretKey: "s"},
		{Endpoint: "http://host:9000"},
	} {
		if _, err := s3client.New(opts); err == nil {
			t.Errorf("New(%+v) succeeded, want an error", opts)
		}
	}
	if _, err := s3client.New(s3client.Options{Endpoint: "https://s3.example.com/prefix/", AccessKey: "a", SecretKey: "s"}); err != nil {
		t.Errorf("New with a path prefix: %v", err)
	}
}
