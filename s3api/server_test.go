package s3api_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"mapstore/s3api"
	"mapstore/s3api/sigv4"
)

const (
	testAK = "AKIDTEST"
	testSK = "test/secret"
)

func newTestServer(t testing.TB, backend s3api.Backend, logger *slog.Logger) *s3api.Server {
	t.Helper()
	s, err := s3api.New(s3api.Options{
		Backend:     backend,
		Auth:        sigv4.Config{Credentials: sigv4.StaticCredentials{testAK: {AccessKeyID: testAK, SecretAccessKey: testSK}}},
		BaseDomains: []string{"s3.example.com"},
		Logger:      logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signedRequest builds a request as a server receives it, signed with the
// test credentials.
func signedRequest(t testing.TB, method, target string, header http.Header, body []byte) *http.Request {
	t.Helper()
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := s.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSK}, req, hash, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestNewValidates(t *testing.T) {
	if _, err := s3api.New(s3api.Options{}); err == nil || !strings.Contains(err.Error(), "Backend") || !strings.Contains(err.Error(), "Credentials") {
		t.Fatalf("New without Backend and Credentials: %v", err)
	}
	_, err := s3api.New(s3api.Options{Backend: newMemBackend(), Auth: sigv4.Config{Credentials: sigv4.StaticCredentials{}}, BaseDomains: []string{"S3.Example.com:80"}})
	if err == nil {
		t.Fatal("New accepted a base domain with upper case and port")
	}
	var o s3api.Options
	o.EnsureDefaults()
	if o.Region != "us-east-1" || o.Limits.MaxObjectSize != 5<<30 || o.Limits.MaxUserMetadataSize != 2048 || o.Logger == nil || o.Now == nil {
		t.Fatalf("defaults: %+v", o)
	}
}

func TestNewHTTPServer(t *testing.T) {
	hs := newTestServer(t, newMemBackend(), nil).HTTPServer(":0")
	if hs.ReadHeaderTimeout == 0 || hs.IdleTimeout == 0 || hs.MaxHeaderBytes != s3api.DefaultMaxHeaderBytes || hs.ReadTimeout != 0 || hs.WriteTimeout != 0 || hs.ErrorLog == nil {
		t.Fatalf("http.Server %+v", hs)
	}
}

// syncBuffer is a bytes.Buffer safe for a logger used by handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func TestRequestLog(t *testing.T) {
	var logs syncBuffer
	s := newTestServer(t, newMemBackend(), slog.New(slog.NewJSONHandler(&logs, nil)))
	for _, r := range []*http.Request{
		signedRequest(t, "PUT", "http://localhost/bucket", nil, nil),
		signedRequest(t, "PUT", "http://localhost/bucket/some%20key", nil, []byte("hello")),
		signedRequest(t, "GET", "http://bucket.s3.example.com/missing", nil, nil),
	} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Header().Get("X-Amz-Request-Id") == "" || w.Header().Get("X-Amz-Id-2") == "" {
			t.Fatalf("%s %s: no request id", r.Method, r.URL)
		}
	}
	var recs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs.b.String()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, m)
	}
	if len(recs) != 3 {
		t.Fatalf("%d log records:\n%s", len(recs), logs.b.String())
	}
	put, get := recs[1], recs[2]
	if put["method"] != "PUT" || put["op"] != "PutObject" || put["bucket"] != "bucket" || put["key"] != "some key" ||
		put["status"] != 200.0 || put["bytes_in"] != 5.0 || put["duration"] == nil || put["request_id"] == "" {
		t.Errorf("PUT record %v", put)
	}
	if get["status"] != 404.0 || get["bucket"] != "bucket" || get["key"] != "missing" || !strings.Contains(get["error"].(string), "NoSuchKey") {
		t.Errorf("GET record %v", get)
	}
}

// FuzzServer sends arbitrary signed requests through the whole Server (over
// the in-memory Backend): whatever the method, path, query, headers and
// body, the answer is never a 500, always carries a request id, and every
// error with a body is an S3 error document.
func FuzzServer(f *testing.F) {
	f.Add("PUT", "/fuzz/key", "", "Content-Type: text/plain", []byte("data"))
	f.Add("GET", "/fuzz/key", "response-content-type=x", "Range: bytes=1-2\nIf-None-Match: *", []byte(nil))
	f.Add("POST", "/fuzz", "delete", "Content-Md5: 1B2M2Y8AsgTpgAmY7PhCfg==", []byte("<Delete><Object><Key>key</Key></Object></Delete>"))
	f.Add("POST", "/fuzz/mp", "uploads", "X-Amz-Meta-A: b", []byte(nil))
	f.Add("POST", "/fuzz/mp", "uploadId=0000000000000001", "", []byte("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>"))
	f.Add("PUT", "/fuzz/copy", "", "X-Amz-Copy-Source: fuzz/key\nX-Amz-Metadata-Directive: REPLACE", []byte(nil))
	f.Add("PUT", "/fuzz/mp", "partNumber=1&uploadId=0000000000000001", "X-Amz-Copy-Source: /fuzz/key\nX-Amz-Copy-Source-Range: bytes=0-1", []byte(nil))
	f.Add("GET", "/fuzz", "list-type=2&delimiter=/&max-keys=1&encoding-type=url&fetch-owner=true", "", []byte(nil))
	f.Add("GET", "/fuzz", "uploads&delimiter=/", "", []byte(nil))
	f.Add("PUT", "/newbucket", "", "", []byte("<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>"))
	backend := newMemBackend()
	s := newTestServer(f, backend, nil)
	if err := backend.CreateBucket(context.Background(), "fuzz"); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path, query, headers string, body []byte) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?# \r\n") || strings.ContainsAny(query, "# \r\n") || len(body) > 1<<16 {
			return
		}
		switch method {
		case "GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS":
		default:
			return
		}
		target := "http://localhost" + path
		if query != "" {
			target += "?" + query
		}
		h := http.Header{}
		for _, line := range strings.Split(headers, "\n") {
			k, v, ok := strings.Cut(line, ":")
			k = strings.TrimSpace(k)
			if !ok || k == "" || strings.ContainsAny(k, " \t\r:") || strings.ContainsAny(v, "\r\x00") {
				continue
			}
			h.Add(k, strings.TrimSpace(v))
		}
		h.Del("Authorization")
		h.Del("Content-Length")
		h.Del("Host")
		var req *http.Request
		func() {
			defer func() {
				if recover() != nil {
					req = nil // httptest.NewRequest panics on targets net/http would reject
				}
			}()
			req = signedRequest(t, method, target, h, body)
		}()
		if req == nil {
			return
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code >= 500 && w.Code != http.StatusNotImplemented {
			t.Fatalf("%s %s: %d\n%s", method, target, w.Code, w.Body.String())
		}
		if w.Header().Get("X-Amz-Request-Id") == "" {
			t.Fatalf("no request id")
		}
		if w.Code >= 400 && method != "HEAD" {
			var e struct{ Code, RequestID string }
			if err := xml.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Code == "" {
				t.Fatalf("%s %s: %d with body %q", method, target, w.Code, w.Body.String())
			}
		}
	})
}

// TestBodyIdleTimeout: an upload that stops moving fails with
// RequestTimeout and stores nothing; a download whose reader stops taking
// data is cut off.
func TestBodyIdleTimeout(t *testing.T) {
	backend := newMemBackend()
	s, err := s3api.New(s3api.Options{
		Backend: backend,
		Auth:    sigv4.Config{Credentials: sigv4.StaticCredentials{testAK: {AccessKeyID: testAK, SecretAccessKey: testSK}}},
		Limits:  s3api.Limits{BodyIdleTimeout: 200 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan string, 10) // method of each finished request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { served <- r.Method }()
		s.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ctx := context.Background()
	if err := backend.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}

	body := bytes.Repeat([]byte("x"), 1000)
	req := signedRequest(t, "PUT", srv.URL+"/b/stalled", nil, body)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /b/stalled HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", req.Host, len(body))
	for k, v := range req.Header {
		fmt.Fprintf(conn, "%s: %s\r\n", k, v[0])
	}
	fmt.Fprintf(conn, "\r\n%s", body[:500])
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !strings.Contains(string(b), "<Code>RequestTimeout</Code>") {
		t.Fatalf("stalled upload: %d %s", resp.StatusCode, b)
	}
	if _, err := backend.HeadObject(ctx, "b", "stalled"); !errors.Is(err, s3api.ErrNoSuchKey) {
		t.Fatalf("stalled upload stored: %v", err)
	}

	// A 16 MiB download nobody reads (more than the socket buffers hold): the server gives up and closes.
	big := bytes.Repeat([]byte("y"), 16<<20)
	if _, err := backend.PutObject(ctx, "b", "big", s3api.ObjectMeta{}, bytes.NewReader(big), int64(len(big)), s3api.WriteConditions{}); err != nil {
		t.Fatal(err)
	}
	getReq := signedRequest(t, "GET", srv.URL+"/b/big", nil, nil)
	getReq.RequestURI = ""
	resp, err = srv.Client().Do(getReq)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// Not reading, wait for the server to give up.
	for m := ""; m != "GET"; {
		select {
		case m = <-served:
		case <-time.After(10 * time.Second):
			t.Fatal("server still writing to a reader that stopped")
		}
	}
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil || n == int64(len(big)) {
		t.Fatalf("stalled download: read %d bytes, err %v", n, err)
	}
}
