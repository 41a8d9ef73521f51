package localstore_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"mapstore/localstore"
	"mapstore/s3api"
	"mapstore/s3api/sigv4"
)

// A real S3 server in a process of its own, for tests that kill it, restart
// it, or measure its memory and CPU apart from the client's.
//
// The test binary re-executes itself (os.Args[0]) with MAPSTORE_TEST_SERVER=1;
// TestMain then runs serveForTest instead of the tests: it opens a Store on
// MAPSTORE_TEST_DIR, serves the S3 API over it with the fixed test
// credentials on MAPSTORE_TEST_ADDR (default 127.0.0.1:0, any free port),
// prints one line "mapstore-test-server listening <host:port>" on stdout once
// it accepts connections, and serves until it is killed or gets SIGTERM or
// SIGINT. On SIGTERM it shuts the HTTP server down (requests in flight
// finish), closes the store, prints "mapstore-test-server closed" and exits 0.
//
// Other settings of the child (environment):
//
//	MAPSTORE_TEST_CAPACITY      device size of a new store, bytes (default 512 MiB)
//	MAPSTORE_TEST_JOURNAL_SIZE  journal size of a new store, bytes (default 32 MiB)
//	MAPSTORE_TEST_LOG_LEVEL     debug, info, warn (default) or error; text logs on stderr
//	MAPSTORE_TEST_CPUPROFILE    path prefix: SIGUSR1 starts a CPU profile written to
//	                            <prefix>.<n>.pprof (n from 1), SIGUSR2 stops it; each
//	                            prints "mapstore-test-server profile <n> started|stopped"
//
// Run by hand, for example:
//
//	go test -c -o /tmp/ls.test ./localstore
//	MAPSTORE_TEST_SERVER=1 MAPSTORE_TEST_DIR=/tmp/lsdata MAPSTORE_TEST_ADDR=127.0.0.1:9000 /tmp/ls.test

const (
	envTestServer     = "MAPSTORE_TEST_SERVER"
	envTestDir        = "MAPSTORE_TEST_DIR"
	envTestAddr       = "MAPSTORE_TEST_ADDR"
	envTestCapacity   = "MAPSTORE_TEST_CAPACITY"
	envTestJournal    = "MAPSTORE_TEST_JOURNAL_SIZE"
	envTestLogLevel   = "MAPSTORE_TEST_LOG_LEVEL"
	envTestCPUProfile = "MAPSTORE_TEST_CPUPROFILE"

	procAccessKey = "AKIAPROCTEST00000001"
	procSecretKey = "proc/test/Secret+Key/0123456789abcdef"
	procRegion    = "us-east-1"

	listeningPrefix = "mapstore-test-server listening "
	closedLine      = "mapstore-test-server closed"
	profileLine     = "mapstore-test-server profile "
)

func TestMain(m *testing.M) {
	if os.Getenv(envTestServer) == "1" {
		os.Exit(serveForTest())
	}
	os.Exit(m.Run())
}

// serveForTest is the child's main.
func serveForTest() int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "mapstore-test-server: "+format+"\n", args...)
		return 1
	}
	dir := os.Getenv(envTestDir)
	if dir == "" {
		return fail("%s is not set", envTestDir)
	}
	addr := os.Getenv(envTestAddr)
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	capacity, err := envInt(envTestCapacity, 512<<20)
	if err != nil {
		return fail("%v", err)
	}
	journal, err := envInt(envTestJournal, 32<<20)
	if err != nil {
		return fail("%v", err)
	}
	level := slog.LevelWarn
	if s := os.Getenv(envTestLogLevel); s != "" {
		if err := level.UnmarshalText([]byte(s)); err != nil {
			return fail("%s: %v", envTestLogLevel, err)
		}
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	sigc := make(chan os.Signal, 4)
	signal.Notify(sigc, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGUSR2)

	store, err := localstore.Open(localstore.Options{Dir: dir, Capacity: capacity, JournalSize: journal, Logger: logger})
	if err != nil {
		return fail("opening the store: %v", err)
	}
	srv, err := s3api.New(s3api.Options{
		Backend: store,
		Auth:    sigv4.Config{Credentials: sigv4.StaticCredentials{procAccessKey: {AccessKeyID: procAccessKey, SecretAccessKey: procSecretKey}}},
		Region:  procRegion,
		Logger:  logger,
	})
	if err != nil {
		store.Close()
		return fail("%v", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		store.Close()
		return fail("%v", err)
	}
	hs := srv.HTTPServer(ln.Addr().String())
	// The store must not close under a running handler: Shutdown waits for
	// them, but after its timeout Close only cuts their connections.
	var handlers sync.WaitGroup
	h := hs.Handler
	hs.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		h.ServeHTTP(w, r)
	})
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fmt.Fprintf(os.Stdout, "%s%s\n", listeningPrefix, ln.Addr())

	profPrefix := os.Getenv(envTestCPUProfile)
	var prof *os.File
	nprof := 0
	for {
		select {
		case err := <-served:
			store.Close()
			return fail("serving: %v", err)
		case sig := <-sigc:
			switch sig {
			case syscall.SIGUSR1:
				if profPrefix == "" || prof != nil {
					continue
				}
				nprof++
				if prof, err = os.Create(fmt.Sprintf("%s.%d.pprof", profPrefix, nprof)); err != nil {
					return fail("%v", err)
				}
				if err := pprof.StartCPUProfile(prof); err != nil {
					return fail("%v", err)
				}
				fmt.Fprintf(os.Stdout, "%s%d started\n", profileLine, nprof)
				continue
			case syscall.SIGUSR2:
				if prof != nil {
					pprof.StopCPUProfile()
					prof.Close()
					prof = nil
					fmt.Fprintf(os.Stdout, "%s%d stopped\n", profileLine, nprof)
				}
				continue
			}
			if prof != nil {
				pprof.StopCPUProfile()
				prof.Close()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := hs.Shutdown(ctx)
			cancel()
			if err != nil {
				hs.Close()
				fmt.Fprintf(os.Stderr, "mapstore-test-server: shutdown: %v\n", err)
			}
			idle := make(chan struct{})
			go func() { handlers.Wait(); close(idle) }()
			select {
			case <-idle:
			case <-time.After(10 * time.Second):
				return fail("requests still running 10 s after their connections were closed: exiting without closing the store")
			}
			if err := store.Close(); err != nil {
				return fail("closing the store: %v", err)
			}
			fmt.Fprintln(os.Stdout, closedLine)
			return 0
		}
	}
}

func envInt(name string, def int64) (int64, error) {
	s := os.Getenv(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %v", name, err)
	}
	return v, nil
}

// procServer is a running child server.
type procServer struct {
	t        testing.TB
	cmd      *exec.Cmd
	addr     string // host:port
	endpoint string // http://host:port
	stdout   *syncBuffer
	logs     *syncBuffer // its stderr
	done     chan struct{}
	exitErr  error       // cmd.Wait's result, once done is closed
	ready    chan string // the address, once listening
	started  time.Time
	startup  time.Duration // from the start of the process to listening
}

// startProcServer starts a child server on dir with extra environment
// (NAME=value) and waits until it listens.
func startProcServer(t testing.TB, dir string, env ...string) *procServer {
	t.Helper()
	p := launchProcServer(t, dir, env...)
	select {
	case p.addr = <-p.ready:
		p.endpoint = "http://" + p.addr
		p.startup = time.Since(p.started)
		return p
	case <-p.done:
		t.Fatalf("server exited before listening: %v\n%s", p.exitErr, p.logs.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("server not listening after 2 minutes\n%s", p.logs.String())
	}
	return nil
}

// launchProcServer starts a child server on dir and returns at once.
func launchProcServer(t testing.TB, dir string, env ...string) *procServer {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), envTestServer+"=1", envTestDir+"="+dir)
	cmd.Env = append(cmd.Env, env...)
	p := &procServer{t: t, cmd: cmd, stdout: new(syncBuffer), logs: new(syncBuffer), done: make(chan struct{}), ready: make(chan string, 1)}
	cmd.Stderr = p.logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			p.stdout.Write([]byte(line + "\n"))
			if a, ok := strings.CutPrefix(line, listeningPrefix); ok {
				p.ready <- a
			}
		}
		io.Copy(io.Discard, out)
		p.exitErr = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("server %d log:\n%s", cmd.Process.Pid, p.logs.tail(16<<10))
		}
	})
	return p
}

func (p *procServer) pid() int { return p.cmd.Process.Pid }

// signalAndWait sends sig and waits until the server prints line.
func (p *procServer) signalAndWait(sig os.Signal, line string) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(p.stdout.String(), line+"\n"); {
		if time.Now().After(deadline) {
			p.t.Fatalf("server did not print %q after %v", line, sig)
		}
		time.Sleep(time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *procServer) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatalf("SIGKILL: %v", err)
	}
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		p.t.Fatal("server still running a minute after SIGKILL")
	}
}

// stop sends SIGTERM and requires a clean exit: status 0, the store closed.
func (p *procServer) stop() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		p.t.Fatal("server still running a minute after SIGTERM")
	}
	if p.exitErr != nil || !strings.Contains(p.stdout.String(), closedLine) {
		p.t.Fatalf("server after SIGTERM: %v, stdout %q\n%s", p.exitErr, p.stdout.String(), p.logs.tail(16<<10))
	}
}

// openedLog returns the attributes of the store's "store opened" log record
// (the server must log at level info).
func (p *procServer) openedLog() map[string]string {
	p.t.Helper()
	// stderr is copied apart from stdout: the record may come after the
	// "listening" line.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		for _, line := range strings.Split(p.logs.String(), "\n") {
			if !strings.Contains(line, `msg="store opened"`) {
				continue
			}
			attrs := map[string]string{}
			for _, f := range strings.Fields(line) {
				if k, v, ok := strings.Cut(f, "="); ok {
					attrs[k] = strings.Trim(v, `"`)
				}
			}
			return attrs
		}
	}
	p.t.Fatalf("server %d did not log \"store opened\":\n%s", p.pid(), p.logs.tail(4096))
	return nil
}

// checkLogs fails the test if the server logged anything at level ERROR,
// but for lines containing one of allow.
func (p *procServer) checkLogs(allow ...string) {
	p.t.Helper()
next:
	for _, line := range strings.Split(p.logs.String(), "\n") {
		for _, a := range allow {
			if strings.Contains(line, a) {
				continue next
			}
		}
		if strings.Contains(line, "level=ERROR") {
			p.t.Errorf("server %d logged an error: %s", p.pid(), line)
		}
	}
}

// procStatus returns a field of /proc/<pid>/status in bytes (VmHWM, VmRSS).
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) != 2 || f[1] != "kB" {
				return 0, fmt.Errorf("%s: unexpected %q", field, line)
			}
			v, err := strconv.ParseInt(f[0], 10, 64)
			return v << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// procCPU returns the user+system CPU time a process has used.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, s)
	}
	f := strings.Fields(s[i+1:])
	// Fields after the name: state is f[0]; utime and stime are fields 14
	// and 15 of the whole line, f[11] and f[12] here.
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, s)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / ticks, nil
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) tail(n int) string {
	s := b.String()
	if len(s) > n {
		return "...\n" + s[len(s)-n:]
	}
	return s
}

// s3Client sends hand-signed requests (SigV4, UNSIGNED-PAYLOAD) to a
// server: cheaper than an SDK client and able to stream any body.
type s3Client struct {
	endpoint string
	hc       *http.Client
	signer   *v4.Signer
	creds    aws.Credentials
}

func newS3Client(endpoint string, conns int) *s3Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns + 4,
		MaxIdleConnsPerHost: conns + 4,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
		WriteBufferSize:     64 << 10,
		ReadBufferSize:      64 << 10,
	}
	return &s3Client{
		endpoint: endpoint,
		hc:       &http.Client{Transport: tr},
		signer:   v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }),
		creds:    aws.Credentials{AccessKeyID: procAccessKey, SecretAccessKey: procSecretKey},
	}
}

// request builds a signed request. body may be nil; newBody, if set,
// makes a fresh copy of the body (for the transport's retries of requests
// it never sent).
func (c *s3Client) request(ctx context.Context, method, path string, size int64, newBody func() io.Reader) (*http.Request, error) {
	var body io.Reader
	if newBody != nil {
		body = newBody()
	}
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint+path, body)
	if err != nil {
		return nil, err
	}
	if newBody != nil {
		req.ContentLength = size
		if size == 0 {
			req.Body = http.NoBody
		} else {
			req.Body = io.NopCloser(body)
			req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(newBody()), nil }
		}
	}
	const unsigned = "UNSIGNED-PAYLOAD"
	req.Header.Set("X-Amz-Content-Sha256", unsigned)
	if err := c.signer.SignHTTP(ctx, c.creds, req, unsigned, "s3", procRegion, time.Now()); err != nil {
		return nil, err
	}
	return req, nil
}

// statusError is a response with an unexpected status.
type statusError struct {
	op     string
	status int
	body   string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s: status %d: %s", e.op, e.status, e.body)
}

// do sends a request and checks its status against want; the response body
// is read and discarded. A nil error means the server answered want.
func (c *s3Client) do(ctx context.Context, method, path string, size int64, newBody func() io.Reader, want ...int) error {
	req, err := c.request(ctx, method, path, size, newBody)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	for _, w := range want {
		if resp.StatusCode == w {
			_, err := io.Copy(io.Discard, resp.Body)
			return err
		}
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return &statusError{method + " " + path, resp.StatusCode, string(b)}
}

func (c *s3Client) createBucket(ctx context.Context, bucket string) error {
	return c.do(ctx, http.MethodPut, "/"+bucket, 0, nil, http.StatusOK)
}

// put stores size bytes from newBody() under bucket/key.
func (c *s3Client) put(ctx context.Context, bucket, key string, size int64, newBody func() io.Reader) error {
	return c.do(ctx, http.MethodPut, "/"+bucket+"/"+key, size, newBody, http.StatusOK)
}

func (c *s3Client) putBytes(ctx context.Context, bucket, key string, b []byte) error {
	return c.put(ctx, bucket, key, int64(len(b)), func() io.Reader { return bytes.NewReader(b) })
}

func (c *s3Client) delete(ctx context.Context, bucket, key string) error {
	return c.do(ctx, http.MethodDelete, "/"+bucket+"/"+key, 0, nil, http.StatusNoContent)
}

// get opens bucket/key: the response (status 200) or an error; a missing
// key is a *statusError with status 404.
func (c *s3Client) get(ctx context.Context, bucket, key string) (*http.Response, error) {
	req, err := c.request(ctx, http.MethodGet, "/"+bucket+"/"+key, 0, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return nil, &statusError{"GET /" + bucket + "/" + key, resp.StatusCode, string(b)}
	}
	return resp, nil
}

func isStatus(err error, status int) bool {
	var se *statusError
	return errors.As(err, &se) && se.status == status
}

// sdkClient returns an aws-sdk-go-v2 client of a server (path style, plain
// HTTP, no retries).
func sdkClient(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region: procRegion,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: procAccessKey, SecretAccessKey: procSecretKey, Source: "proc test"}, nil
		}),
		BaseEndpoint:     aws.String(endpoint),
		UsePathStyle:     true,
		RetryMaxAttempts: 1,
	})
}

// listAll lists every object of a bucket with ListObjectsV2, in pages of
// pageSize, and returns key -> object.
func listAll(ctx context.Context, c *s3.Client, bucket string, pageSize int32) (map[string]s3Object, error) {
	out := map[string]s3Object{}
	pg := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(pageSize)})
	prev := ""
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			if k <= prev {
				return nil, fmt.Errorf("list: key %q after %q", k, prev)
			}
			prev = k
			out[k] = s3Object{size: aws.ToInt64(o.Size), etag: aws.ToString(o.ETag)}
		}
	}
	return out, nil
}

type s3Object struct {
	size int64
	etag string
}

// genReader reads size reproducible pseudo-random bytes of a seed.
type genReader struct {
	r    rand.PCG
	left int64
	w    [8]byte
	off  int // next byte of w; 8: empty
}

func newGenReader(seed uint64, size int64) *genReader {
	g := &genReader{left: size, off: 8}
	g.r.Seed(seed, seed^0x9e3779b97f4a7c15)
	return g
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	n := 0
	for n < len(p) && g.off < 8 {
		p[n] = g.w[g.off]
		n++
		g.off++
	}
	for ; n+8 <= len(p); n += 8 {
		binary.LittleEndian.PutUint64(p[n:], g.r.Uint64())
	}
	if n < len(p) {
		binary.LittleEndian.PutUint64(g.w[:], g.r.Uint64())
		g.off = copy(p[n:], g.w[:])
		n = len(p)
	}
	g.left -= int64(n)
	return n, nil
}

// genBytes returns what newGenReader(seed, size) reads.
func genBytes(seed uint64, size int64) []byte {
	b := make([]byte, size)
	io.ReadFull(newGenReader(seed, size), b)
	return b
}

// TestProcServerRestart starts the server process, stores objects (inline
// and in blocks), stops it with SIGTERM, and finds them again after a
// restart: the helper the other process tests rely on.
func TestProcServerRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	p := startProcServer(t, dir)
	c := newS3Client(p.endpoint, 4)
	if err := c.createBucket(ctx, "restart"); err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{"empty": 0, "small": 100, "inline-max": localstore.DefaultInlineMax, "blocks": localstore.DefaultInlineMax + 1, "large": 3<<20 + 5}
	for k, n := range sizes {
		if err := c.put(ctx, "restart", k, n, func() io.Reader { return newGenReader(uint64(n), n) }); err != nil {
			t.Fatal(err)
		}
	}
	p.stop()
	p.checkLogs()
	p = startProcServer(t, dir)
	c = newS3Client(p.endpoint, 4)
	if err := c.createBucket(ctx, "restart"); !isStatus(err, http.StatusConflict) {
		t.Fatalf("CreateBucket of an existing bucket after a restart: %v, want 409", err)
	}
	list, err := listAll(ctx, sdkClient(p.endpoint), "restart", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(sizes) {
		t.Errorf("listed %d objects, want %d: %v", len(list), len(sizes), list)
	}
	for k, n := range sizes {
		resp, err := c.get(ctx, "restart", k)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, genBytes(uint64(n), n)) {
			t.Errorf("%s: got %d bytes, not the %d stored", k, len(b), n)
		}
		if list[k].size != n {
			t.Errorf("%s: listed with size %d, want %d", k, list[k].size, n)
		}
	}
	p.stop()
	p.checkLogs()
}
