package s3test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"mapstore/s3api"
	"mapstore/s3api/sigv4"
)

// The credentials and names the suite's server is configured with.
const (
	AccessKey  = "AKIAS3TESTEXAMPLE0001"
	SecretKey  = "s3test/Secret+Key/EXAMPLE0123456789abcdef"
	Region     = "us-east-1"
	BaseDomain = "s3.localhost"
)

// Run runs the conformance suite against a Backend made by newBackend
// (called once). It serves an s3api.Server over the Backend on two
// loopback test servers, one TLS and one plain HTTP, and drives them with
// aws-sdk-go-v2 (path style over TLS: aws-chunked uploads with CRC32
// trailers; path and virtual-hosted style over plain HTTP: signed payload
// hashes with checksum headers), minio-go (plain HTTP: signed aws-chunked
// uploads) and hand-signed raw HTTP requests for what clients cannot send.
//
// Every test uses buckets of its own, so the Backend may be shared with
// nothing else running. Server logs are shown for failing runs only.
func Run(t *testing.T, newBackend func(t *testing.T) s3api.Backend) {
	h := newHarness(t, newBackend(t))
	for _, tc := range suite {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, h) })
	}
}

// suite lists the tests in the order they run.
var suite = []struct {
	name string
	fn   func(*testing.T, *harness)
}{
	{"Buckets", testBuckets},
	{"BucketNames", testBucketNames},
	{"VirtualHosted", testVirtualHosted},
	{"Auth", testAuth},
	{"PutGetHead", testPutGetHead},
	{"Metadata", testMetadata},
	{"Checksums", testChecksums},
	{"BadDigest", testBadDigest},
	{"AwkwardKeys", testAwkwardKeys},
	{"Delete", testDelete},
	{"DeleteObjects", testDeleteObjects},
	{"Copy", testCopy},
	{"ConditionalRead", testConditionalRead},
	{"ConditionalWrite", testConditionalWrite},
	{"RacingConditionalPut", testRacingConditionalPut},
	{"Ranges", testRanges},
	{"SnapshotRead", testSnapshotRead},
	{"List", testList},
	{"ListPagination", testListPagination},
	{"ListV1", testListV1},
	{"ListEncodingURL", testListEncodingURL},
	{"Multipart", testMultipart},
	{"MultipartErrors", testMultipartErrors},
	{"UploadPartCopy", testUploadPartCopy},
	{"ListMultipartUploads", testListMultipartUploads},
	{"Presigned", testPresigned},
	{"Minio", testMinio},
	{"Limits", testLimits},
	{"MalformedRequests", testMalformedRequests},
	{"Subresources", testSubresources},
	{"ClientDisconnect", testClientDisconnect},
	{"IncompleteBody", testIncompleteBody},
}

// harness is the server under test and the clients talking to it.
type harness struct {
	backend  s3api.Backend
	server   *s3api.Server
	track    *tracker
	tlsSrv   *httptest.Server
	plainSrv *httptest.Server

	aws      *s3.Client // TLS, path style
	awsPlain *s3.Client // plain HTTP, path style
	awsVHost *s3.Client // plain HTTP, virtual-hosted style
	minio    *minio.Client

	buckets atomic.Int64
}

func newHarness(t *testing.T, backend s3api.Backend) *harness {
	logs := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			logs.dump(t)
		}
	})
	srv, err := s3api.New(s3api.Options{
		Backend:     backend,
		Auth:        sigv4.Config{Credentials: sigv4.StaticCredentials{AccessKey: {AccessKeyID: AccessKey, SecretAccessKey: SecretKey}}},
		Region:      Region,
		BaseDomains: []string{BaseDomain},
		Logger:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{backend: backend, server: srv, track: newTracker(srv)}
	h.tlsSrv = httptest.NewUnstartedServer(h.track)
	h.tlsSrv.Config.MaxHeaderBytes = s3api.DefaultMaxHeaderBytes
	h.tlsSrv.StartTLS()
	h.plainSrv = httptest.NewUnstartedServer(h.track)
	h.plainSrv.Config.MaxHeaderBytes = s3api.DefaultMaxHeaderBytes
	h.plainSrv.Start()
	t.Cleanup(h.plainSrv.Close)
	t.Cleanup(h.tlsSrv.Close)

	h.aws = awsClient(h.tlsSrv.URL, h.tlsSrv.Client(), true)
	h.awsPlain = awsClient(h.plainSrv.URL, h.plainSrv.Client(), true)
	// Virtual-hosted style: every "<bucket>.s3.localhost" dials the plain
	// server.
	addr := h.plainSrv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	vt := h.plainSrv.Client().Transport.(*http.Transport).Clone()
	vt.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	h.awsVHost = awsClient("http://"+BaseDomain+":"+port, &http.Client{Transport: vt}, false)

	u, _ := url.Parse(h.plainSrv.URL)
	h.minio, err = minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(AccessKey, SecretKey, ""),
		Region:       Region,
		BucketLookup: minio.BucketLookupPath,
		Transport:    h.plainSrv.Client().Transport,
		MaxRetries:   1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func awsClient(endpoint string, hc *http.Client, pathStyle bool) *s3.Client {
	return s3.New(s3.Options{
		Region:       Region,
		Credentials:  staticCreds(AccessKey, SecretKey),
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: pathStyle,
		HTTPClient:   hc,
		// One attempt: a retry could hide a failure.
		RetryMaxAttempts: 1,
		// The defaults of config.LoadDefaultConfig, spelled out.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	})
}

func staticCreds(ak, sk string) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk, Source: "s3test"}, nil
	})
}

// awsClientWith returns a TLS path-style client with other credentials.
func (h *harness) awsClientWith(ak, sk string) *s3.Client {
	return s3.New(s3.Options{
		Region: Region, Credentials: staticCreds(ak, sk), BaseEndpoint: aws.String(h.tlsSrv.URL),
		UsePathStyle: true, HTTPClient: h.tlsSrv.Client(), RetryMaxAttempts: 1,
	})
}

// bucket creates a fresh bucket for a test; it is not removed afterwards.
func (h *harness) bucket(t *testing.T) string {
	t.Helper()
	n := h.buckets.Add(1)
	name := fmt.Sprintf("s3test-%d-%s", n, strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())))
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-.")
	}
	if _, err := h.aws.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", name, err)
	}
	return name
}

// ctx returns a context for one test, bounded so that a hang fails the
// test instead of the whole run.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// tracker counts requests in flight so that tests can wait, with a
// deadline, for the server to finish with a request whose client went
// away.
type tracker struct {
	h       http.Handler
	mu      sync.Mutex
	active  int
	started int
	changed chan struct{} // closed and replaced on every change
}

func newTracker(h http.Handler) *tracker {
	return &tracker{h: h, changed: make(chan struct{})}
}

func (tr *tracker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tr.update(+1)
	defer tr.update(-1)
	tr.h.ServeHTTP(w, r)
}

func (tr *tracker) update(d int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.active += d
	if d > 0 {
		tr.started++
	}
	close(tr.changed)
	tr.changed = make(chan struct{})
}

func (tr *tracker) count() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.started
}

// waitStarted waits until n requests have started.
func (tr *tracker) waitStarted(t *testing.T, n int) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		tr.mu.Lock()
		done := tr.started >= n
		ch := tr.changed
		tr.mu.Unlock()
		if done {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("only %d of %d requests started after 20s", tr.count(), n)
		}
	}
}

// waitIdle waits until more than `after` requests have started and none
// is in flight.
func (tr *tracker) waitIdle(t *testing.T, after int) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		tr.mu.Lock()
		done := tr.started > after && tr.active == 0
		ch := tr.changed
		tr.mu.Unlock()
		if done {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("server still busy after 20s (started %d, want > %d)", tr.count(), after)
		}
	}
}

// logBuffer keeps the server's log lines for a failing run.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

const maxLogLines = 3000

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.lines) >= maxLogLines {
		b.lines = append(b.lines[:0], b.lines[maxLogLines/2:]...)
	}
	b.lines = append(b.lines, strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func (b *logBuffer) dump(t *testing.T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t.Logf("last %d server log lines:\n%s", len(b.lines), strings.Join(b.lines, "\n"))
}
