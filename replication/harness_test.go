package replication

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"mapstore/internal/s3client"
	"mapstore/localstore"
	"mapstore/s3api"
	"mapstore/s3api/sigv4"
)

// An in-process cluster for tests: N nodes in this process, raft over
// its in-memory transport (which can cut any node off), each node's S3
// endpoint a real HTTP server on the loopback, forwarding to the leader.

const (
	testAccess = "AKIDTESTCLUSTER"
	testSecret = "secret-of-the-test-cluster"
)

type testCluster struct {
	t     testing.TB
	dir   string
	opts  func(*Options)
	mu    sync.Mutex
	nodes []*testNode
}

type testNode struct {
	c     *testCluster
	id    string
	addr  raft.ServerAddress
	dir   string
	trans *raft.InmemTransport
	node  *Node
	h     atomic.Pointer[http.Handler]
	srv   *httptest.Server
	s3    *s3client.Client
	// lastApplied is what the store had applied when the node stopped.
	lastApplied uint64
}

// newCluster starts n nodes and bootstraps them together.
func newCluster(t testing.TB, n int, opts func(*Options)) *testCluster {
	t.Helper()
	c := &testCluster{t: t, dir: t.TempDir(), opts: opts}
	var servers []raft.Server
	for i := range n {
		tn := c.add(fmt.Sprintf("n%d", i+1))
		servers = append(servers, raft.Server{ID: raft.ServerID(tn.id), Address: tn.addr})
	}
	for _, tn := range c.nodes {
		if err := tn.node.Bootstrap(servers); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(c.close)
	c.leader(30 * time.Second)
	return c
}

// add creates a node (not yet part of any configuration) and starts it.
func (c *testCluster) add(id string) *testNode {
	tn := &testNode{c: c, id: id, addr: raft.ServerAddress(id), dir: filepath.Join(c.dir, id)}
	tn.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := tn.h.Load()
		if h == nil {
			http.Error(w, "node down", http.StatusServiceUnavailable)
			return
		}
		(*h).ServeHTTP(w, r)
	}))
	cl, err := s3client.New(s3client.Options{Endpoint: tn.srv.URL, AccessKey: testAccess, SecretKey: testSecret})
	if err != nil {
		c.t.Fatal(err)
	}
	tn.s3 = cl
	c.mu.Lock()
	c.nodes = append(c.nodes, tn)
	c.mu.Unlock()
	tn.start()
	return tn
}

// start opens the node on its directory and connects its transport.
func (tn *testNode) start() {
	c := tn.c
	c.t.Helper()
	_, tn.trans = raft.NewInmemTransport(tn.addr)
	opts := Options{
		ID: tn.id, Dir: tn.dir, Transport: tn.trans,
		Store:            localstore.Options{Capacity: 256 << 20, JournalSize: 8 << 20},
		Logger:           testLogger(c.t, tn.id),
		HeartbeatTimeout: 300 * time.Millisecond, ElectionTimeout: 300 * time.Millisecond,
		LeaderLeaseTimeout: 200 * time.Millisecond,
		SnapshotInterval:   200 * time.Millisecond,
	}
	if c.opts != nil {
		c.opts(&opts)
	}
	n, err := Open(opts)
	if err != nil {
		c.t.Fatalf("opening node %s: %v", tn.id, err)
	}
	c.mu.Lock()
	tn.node = n
	c.mu.Unlock()
	srv, err := s3api.New(s3api.Options{
		Backend: n.Backend(),
		Auth: sigv4.Config{Credentials: sigv4.StaticCredentials{
			testAccess: {AccessKeyID: testAccess, SecretAccessKey: testSecret},
		}},
		Region: "us-east-1",
	})
	if err != nil {
		c.t.Fatal(err)
	}
	var h http.Handler = n.Handler(srv, ForwardOptions{S3URL: c.s3URL})
	tn.h.Store(&h)
	c.connect(tn)
}

// connect links tn's transport with every other running node's, both ways.
func (c *testCluster) connect(tn *testNode) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, o := range c.nodes {
		if o == tn || o.node == nil {
			continue
		}
		tn.trans.Connect(o.addr, o.trans)
		o.trans.Connect(tn.addr, tn.trans)
	}
}

// isolate cuts tn off from every other node, both ways.
func (c *testCluster) isolate(tn *testNode) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, o := range c.nodes {
		if o == tn || o.node == nil {
			continue
		}
		tn.trans.Disconnect(o.addr)
		o.trans.Disconnect(tn.addr)
	}
}

// stop closes the node, as a graceful shutdown does.
func (tn *testNode) stop() {
	tn.c.t.Helper()
	tn.h.Store(nil)
	tn.lastApplied = tn.node.Store().Applied()
	if err := tn.node.Close(); err != nil {
		tn.c.t.Errorf("closing %s: %v", tn.id, err)
	}
	tn.c.mu.Lock()
	tn.node = nil
	tn.c.mu.Unlock()
	for _, o := range tn.c.nodes {
		if o != tn && o.node != nil {
			o.trans.Disconnect(tn.addr)
		}
	}
}

func (c *testCluster) s3URL(id string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, tn := range c.nodes {
		if tn.id == id {
			return tn.srv.URL, true
		}
	}
	return "", false
}

// close stops every node and server. A shutdown stuck for a minute fails
// the test with every goroutine's stack, instead of hanging the run.
func (c *testCluster) close() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, tn := range c.nodes {
			if tn.node != nil {
				tn.h.Store(nil)
				tn.node.Close()
			}
			tn.srv.CloseClientConnections()
			tn.srv.Close()
		}
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		var b strings.Builder
		pprof.Lookup("goroutine").WriteTo(&b, 2)
		c.t.Errorf("the cluster did not shut down within a minute:\n%s", b.String())
	}
}

// leader waits for a ready leader among the running nodes.
func (c *testCluster) leader(timeout time.Duration) *testNode {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		var ready []*testNode
		for _, tn := range c.nodes {
			if tn.node != nil && tn.node.Ready() {
				ready = append(ready, tn)
			}
		}
		c.mu.Unlock()
		if len(ready) == 1 {
			return ready[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("no leader within %v", timeout)
	return nil
}

// followers returns the running nodes other than l.
func (c *testCluster) followers(l *testNode) []*testNode {
	var out []*testNode
	for _, tn := range c.nodes {
		if tn != l && tn.node != nil {
			out = append(out, tn)
		}
	}
	return out
}

// waitApplied waits until every running node's store has applied index.
func (c *testCluster) waitApplied(index uint64, timeout time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		behind := ""
		for _, tn := range c.nodes {
			if tn.node != nil && tn.node.Store().Applied() < index {
				behind += fmt.Sprintf(" %s at %d", tn.id, tn.node.Store().Applied())
			}
		}
		if behind == "" {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("nodes behind index %d after %v:%s", index, timeout, behind)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// caughtUp waits until every running node has applied what the leader
// has now.
func (c *testCluster) caughtUp(timeout time.Duration) {
	c.t.Helper()
	c.waitApplied(c.leader(timeout).node.Store().Applied(), timeout)
}

// retry runs f until it succeeds or the time is up: requests during a
// leader change get 503s, which S3 clients retry.
func retry(t testing.TB, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %v: %v", what, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// put writes an object, retrying 503s (a leader change) for a while as
// S3 clients do, unless the write is conditional: then a 503 is an
// unknown outcome, for the caller to judge.
func put(ctx context.Context, cl *s3client.Client, bucket, key string, body []byte, h http.Header) (string, error) {
	for try := 0; ; try++ {
		etag, err := cl.PutObject(ctx, bucket, key, bytes.NewReader(body), int64(len(body)), h)
		if !unavailable(err) || len(h) > 0 || try == 100 || ctx.Err() != nil {
			return etag, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// get reads an object, retrying 503s for a while.
func get(ctx context.Context, cl *s3client.Client, bucket, key string, h http.Header) ([]byte, error) {
	for try := 0; ; try++ {
		b, err := get1(ctx, cl, bucket, key, h)
		if !unavailable(err) || try == 100 || ctx.Err() != nil {
			return b, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func get1(ctx context.Context, cl *s3client.Client, bucket, key string, h http.Header) ([]byte, error) {
	rc, _, err := cl.GetObject(ctx, bucket, key, h)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// createBucket creates a bucket through tn, retrying 503s.
func createBucket(t testing.TB, tn *testNode, bucket string) {
	t.Helper()
	retry(t, 20*time.Second, "create bucket "+bucket, func() error {
		err := tn.s3.CreateBucket(context.Background(), bucket)
		if s3client.HasCode(err, "BucketAlreadyOwnedByYou") {
			return nil // an earlier try's answer was lost
		}
		return err
	})
}

func unavailable(err error) bool { return s3client.StatusCode(err) == http.StatusServiceUnavailable }

// testLogger logs to the test's output when MAPSTORE_TEST_LOG is set.
func testLogger(t testing.TB, id string) *slog.Logger {
	if os.Getenv("MAPSTORE_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("node", id)
}
