package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mapstore/internal/s3client"
	"mapstore/localstore"
	"mapstore/s3api"
	"mapstore/s3api/sigv4"
)

// benchCreds are the credentials of the servers of these tests.
var benchCreds = credentials{"AKIDBENCHTEST0000001", "bench-test-secret-0123456789abcdefghijkl"}

// benchServer is an in-process S3 server over a fresh store.
type benchServer struct {
	url         string
	staleReads  atomic.Int64 // GETs that asked for X-Mapstore-Consistency: stale
	objectReads atomic.Int64 // all object GETs
}

func startBenchServer(t *testing.T) *benchServer {
	t.Helper()
	store, err := localstore.Open(localstore.Options{Dir: t.TempDir(), Capacity: 64 << 20, JournalSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	h, err := s3api.New(s3api.Options{
		Backend: store,
		Auth: sigv4.Config{Credentials: sigv4.StaticCredentials{
			benchCreds.accessKey: {AccessKeyID: benchCreds.accessKey, SecretAccessKey: benchCreds.secretKey},
		}},
		Region: "us-east-1",
	})
	if err != nil {
		store.Close()
		t.Fatal(err)
	}
	s := &benchServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Count(r.URL.Path, "/") > 1 {
			s.objectReads.Add(1)
			if r.Header.Get(consistencyHeader) == consistencyStale {
				s.staleReads.Add(1)
			}
		}
		h.ServeHTTP(w, r)
	}))
	s.url = srv.URL
	t.Cleanup(func() {
		srv.Close()
		if err := store.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
	})
	return s
}

// runBenchCmd runs `mapstore bench args...` with the test credentials in
// the environment and returns the exit status and outputs.
func runBenchCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	if env == nil {
		env = map[string]string{envAccessKey: benchCreds.accessKey, envSecretKey: benchCreds.secretKey}
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"bench"}, args...), &stdout, &stderr, envMap(env))
	return code, stdout.String(), stderr.String()
}

// decodeSummary parses bench's --json output, which must be one line.
func decodeSummary(t *testing.T, stdout string) benchSummary {
	t.Helper()
	if strings.Count(stdout, "\n") != 1 {
		t.Fatalf("--json printed %d lines, want one:\n%s", strings.Count(stdout, "\n"), stdout)
	}
	var sum benchSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("parsing the summary: %v\n%s", err, stdout)
	}
	return sum
}

// checkOpSummary checks the counts of a kind of operation (or all) and
// that its latencies are ordered.
func checkOpSummary(t *testing.T, what string, o opSummary, ops, size int64) {
	t.Helper()
	if o.Ops != ops || o.Errors != 0 || o.Bytes != ops*size {
		t.Errorf("%s: %d ops, %d errors, %d bytes; want %d, 0, %d", what, o.Ops, o.Errors, o.Bytes, ops, ops*size)
	}
	if ops > 0 && (o.OpsPerSec <= 0 || o.MBPerSec <= 0) {
		t.Errorf("%s: %.1f ops/s, %.2f MB/s, want both > 0", what, o.OpsPerSec, o.MBPerSec)
	}
	l := o.Latency
	if ops > 0 && !(0 < l.Min && l.Min <= l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max && l.Mean <= l.Max) {
		t.Errorf("%s: latencies out of order: %+v", what, l)
	}
}

func TestBenchPut(t *testing.T) {
	srv := startBenchServer(t)
	code, stdout, stderr := runBenchCmd(t, nil, "--endpoint", srv.url, "--count", "200", "--concurrency", "8", "--size", "4KiB", "--json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	sum := decodeSummary(t, stdout)
	if sum.Op != "put" || sum.Size != 4096 || sum.Concurrency != 8 || sum.Keys != 200 || sum.Bucket != "mapstore-bench" || sum.Seconds <= 0 {
		t.Errorf("summary describes another run: %+v", sum)
	}
	checkOpSummary(t, "total", sum.opSummary, 200, 4096)
	checkOpSummary(t, "put", sum.Kinds["put"], 200, 4096)
	if len(sum.ErrorCounts) != 0 || len(sum.Kinds) != 1 {
		t.Errorf("error counts %v and kinds %v, want none and put only", sum.ErrorCounts, sum.Kinds)
	}
	if !strings.Contains(stderr, "200/200 ops") || !strings.Contains(stderr, "0 errors") {
		t.Errorf("progress does not show the operations done:\n%s", stderr)
	}

	// The 200 keys hold objects of the size written.
	c, err := s3client.New(s3client.Options{Endpoint: srv.url, AccessKey: benchCreds.accessKey, SecretKey: benchCreds.secretKey})
	if err != nil {
		t.Fatal(err)
	}
	objs, truncated, err := c.ListObjects(context.Background(), "mapstore-bench", "bench/4KiB/", "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 200 || truncated || objs[0].Key != "bench/4KiB/0000000" || objs[0].Size != 4096 {
		t.Errorf("listed %d objects (truncated %v), first %+v; want 200 of 4096 bytes from bench/4KiB/0000000", len(objs), truncated, objs[0])
	}
}

// TestBenchMixed runs GETs and PUTs of 1 MiB on a few keys, which bench
// writes first, with stale reads.
func TestBenchMixed(t *testing.T) {
	srv := startBenchServer(t)
	code, stdout, stderr := runBenchCmd(t, nil, "--endpoint", srv.url, "--op", "mixed", "--count", "60", "--concurrency", "8",
		"--size", "1MiB", "--keys", "6", "--consistency", "stale", "--json", "--no-progress")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("--no-progress, yet stderr says:\n%s", stderr)
	}
	sum := decodeSummary(t, stdout)
	puts, gets := sum.Kinds["put"], sum.Kinds["get"]
	if puts.Ops == 0 || gets.Ops == 0 {
		t.Errorf("%d PUTs and %d GETs, want some of each", puts.Ops, gets.Ops)
	}
	checkOpSummary(t, "total", sum.opSummary, 60, 1<<20)
	checkOpSummary(t, "put", puts, puts.Ops, 1<<20)
	checkOpSummary(t, "get", gets, 60-puts.Ops, 1<<20)
	if n, stale := srv.objectReads.Load(), srv.staleReads.Load(); stale != gets.Ops || n != gets.Ops {
		t.Errorf("the server saw %d object GETs, %d of them stale; want all %d stale", n, stale, gets.Ops)
	}
}

// TestBenchGetText runs GETs with the summary as a table, and a second
// run that finds its keys written.
func TestBenchGetText(t *testing.T) {
	srv := startBenchServer(t)
	for range 2 {
		code, stdout, stderr := runBenchCmd(t, nil, "--endpoint", srv.url+","+srv.url, "--op", "get", "--count", "100", "--concurrency", "4", "--keys", "10")
		if code != exitOK {
			t.Fatalf("exit %d, stderr:\n%s", code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "mapstore bench: get 4KiB, 4 clients, 10 keys") {
			t.Fatalf("summary:\n%s", stdout)
		}
		if f := strings.Fields(lines[2]); len(f) != 11 || f[0] != "get" || f[1] != "100" || f[2] != "0" {
			t.Errorf("summary row %q, want get, 100 operations, 0 errors and the rates and latencies", lines[2])
		}
		if !strings.Contains(stderr, "keys ready") {
			t.Errorf("stderr does not tell about the keys:\n%s", stderr)
		}
	}
	if n := srv.staleReads.Load(); n != 0 {
		t.Errorf("%d stale reads without --consistency", n)
	}
}

func TestBenchWrongSecret(t *testing.T) {
	srv := startBenchServer(t)
	env := map[string]string{envAccessKey: benchCreds.accessKey, envSecretKey: "not-the-secret"}
	code, stdout, stderr := runBenchCmd(t, env, "--endpoint", srv.url, "--count", "10", "--json")
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	if !strings.Contains(stderr, "SignatureDoesNotMatch") {
		t.Errorf("stderr does not name SignatureDoesNotMatch:\n%s", stderr)
	}
	if stdout != "" {
		t.Errorf("a failed setup printed a summary:\n%s", stdout)
	}
}

// TestBenchFailedOps checks that failed operations are counted by class
// and fail the run: reads of keys that were never written.
func TestBenchFailedOps(t *testing.T) {
	srv := startBenchServer(t)
	cfg := defaultBenchConfig()
	cfg.endpoints, cfg.op, cfg.count, cfg.keys, cfg.concurrency, cfg.noProgress = []string{srv.url}, benchGet, 20, 5, 2, true
	clients, err := newBenchClients(cfg, benchCreds)
	if err != nil {
		t.Fatal(err)
	}
	if err := ensureBucket(context.Background(), clients[0], cfg.bucket); err != nil {
		t.Fatal(err)
	}
	stats := newBenchStats()
	w := &benchWorker{cfg: &cfg, client: clients[0], stats: stats, issued: new(atomic.Int64), buf: make([]byte, 1<<10), prefix: "never-written/"}
	w.run(context.Background(), context.Background())
	sum := summarize(cfg, stats, time.Second)
	if sum.Ops != 0 || sum.Errors != 20 || sum.ErrorCounts["404 NoSuchKey"] != 20 {
		t.Errorf("%d ops, %d errors %v; want 0 and 20 404 NoSuchKey", sum.Ops, sum.Errors, sum.ErrorCounts)
	}
	var out bytes.Buffer
	sum.writeText(&out)
	if !strings.Contains(out.String(), "404 NoSuchKey") || !strings.Contains(out.String(), "GetObject mapstore-bench/never-written/") {
		t.Errorf("the summary does not show the errors:\n%s", out.String())
	}

	// Nothing listens: a failure of the setup.
	code, _, stderr := runBenchCmd(t, nil, "--endpoint", "http://127.0.0.1:1", "--count", "1", "--no-progress")
	if code != exitError || !strings.Contains(stderr, "connection refused") {
		t.Errorf("no server: exit %d, stderr %q", code, stderr)
	}
}

// TestBenchHistogram compares the histogram's quantiles with those of
// the sorted samples, over latencies from nanoseconds to minutes.
func TestBenchHistogram(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := new(latencyHist)
	var samples []time.Duration
	for range 200_000 {
		// Log-uniform from 1 ns to 100 s, plus a spike at 2-3 ms.
		d := time.Duration(math.Exp(rng.Float64() * math.Log(100e9)))
		if rng.IntN(3) == 0 {
			d = 2*time.Millisecond + time.Duration(rng.Int64N(int64(time.Millisecond)))
		}
		samples = append(samples, d)
		h.Record(d)
	}
	slices.Sort(samples)
	n := len(samples)
	if h.Count() != uint64(n) || h.Min() != samples[0] || h.Max() != samples[n-1] {
		t.Errorf("count %d, min %v, max %v; want %d, %v, %v", h.Count(), h.Min(), h.Max(), n, samples[0], samples[n-1])
	}
	for _, q := range []float64{0, 0.001, 0.1, 0.25, 0.5, 0.9, 0.99, 0.999, 0.9999, 1} {
		rank := max(int(math.Ceil(q*float64(n))), 1)
		want, got := samples[rank-1], h.Quantile(q)
		if rel := math.Abs(float64(got-want)) / float64(want); rel >= 0.01 {
			t.Errorf("q%v: %v, want %v (off by %.2f%%)", q, got, want, 100*rel)
		}
	}
	var sum time.Duration
	for _, d := range samples {
		sum += d
	}
	if mean := sum / time.Duration(n); h.Mean() != mean {
		t.Errorf("mean %v, want %v", h.Mean(), mean)
	}

	// Small values are exact; huge ones share the last bucket but the
	// maximum stays exact; merging adds up.
	small, huge := new(latencyHist), new(latencyHist)
	for d := range time.Duration(256) {
		small.Record(d)
	}
	for i := range 256 {
		if got := small.Quantile(float64(i+1) / 256); got != time.Duration(i) {
			t.Errorf("small values: quantile %d/256 = %v, want %v", i+1, got, time.Duration(i))
		}
	}
	huge.Record(time.Hour)
	huge.Record(-time.Second) // a clock step: counted as 0
	if huge.Max() != time.Hour || huge.Quantile(1) != time.Hour || huge.Min() != 0 {
		t.Errorf("huge: max %v, q1 %v, min %v; want 1h, 1h and 0", huge.Max(), huge.Quantile(1), huge.Min())
	}
	small.Merge(huge)
	if small.Count() != 258 || small.Max() != time.Hour || small.Min() != 0 || small.Quantile(0.5) != 127*time.Nanosecond {
		t.Errorf("merged: count %d, max %v, min %v, median %v", small.Count(), small.Max(), small.Min(), small.Quantile(0.5))
	}
	if empty := new(latencyHist); empty.Quantile(0.5) != 0 || empty.Mean() != 0 || empty.Min() != 0 || empty.Max() != 0 {
		t.Errorf("an empty histogram reports latencies")
	}

	// Bucket bounds: every value falls in the bucket histBucket describes,
	// and the buckets tile the range without gaps.
	for i := 1; i < histBuckets; i++ {
		low, width := histBucket(i)
		plow, pwidth := histBucket(i - 1)
		if plow+pwidth != low || histIndex(low) != i || histIndex(low+width-1) != i {
			t.Fatalf("bucket %d: [%d, %d) after [%d, %d)", i, low, low+width, plow, plow+pwidth)
		}
		if low >= 2*histSub && float64(width)/float64(low) > 1.0/histSub {
			t.Fatalf("bucket %d is %d wide at %d: more than 1/%d", i, width, low, histSub)
		}
	}
}

func TestBenchBody(t *testing.T) {
	p := newPayload()
	for _, size := range []int64{0, 1, 4096, payloadSize + 12345} {
		got, err := io.ReadAll(p.body(3, size))
		if err != nil || int64(len(got)) != size {
			t.Fatalf("body of %d bytes: read %d, %v", size, len(got), err)
		}
		off := int(3 * 7919 % int64(len(p)))
		for i := range got {
			if got[i] != p[(off+i)%len(p)] {
				t.Fatalf("body of %d bytes: byte %d differs from the payload", size, i)
			}
		}
	}
	a, _ := io.ReadAll(p.body(1, 4096))
	b, _ := io.ReadAll(p.body(2, 4096))
	if bytes.Equal(a, b) {
		t.Errorf("successive bodies are the same")
	}
}

func TestParseBench(t *testing.T) {
	cfg, err := parseBench(nil, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := defaultBenchConfig()
	want.keys = 1000
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("defaults: %+v, want %+v", cfg, want)
	}

	// A flag wins over its variable, a variable over the default.
	env := envMap(map[string]string{
		"MAPSTORE_ENDPOINT":          "http://a:1, http://b:2",
		"MAPSTORE_BENCH_OP":          "mixed",
		"MAPSTORE_BENCH_SIZE":        "1MiB",
		"MAPSTORE_BENCH_CONCURRENCY": "4",
		"MAPSTORE_BENCH_GET_RATIO":   "0.9",
	})
	cfg, err = parseBench([]string{"--size", "64KiB", "--count", "50", "--duration", "0", "--json", "--consistency", "stale"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.endpoints, []string{"http://a:1", "http://b:2"}) || cfg.op != "mixed" || cfg.size != 64<<10 ||
		cfg.concurrency != 4 || cfg.getRatio != 0.9 || cfg.count != 50 || cfg.duration != 0 || !cfg.json || cfg.consistency != "stale" || cfg.keys != 50 {
		t.Errorf("merged configuration: %+v", cfg)
	}

	for _, args := range [][]string{
		{"--op", "delete"},
		{"--get-ratio", "1.5"},
		{"--concurrency", "0"},
		{"--count", "-1"},
		{"--size", "big"},
		{"--endpoint", "127.0.0.1:9000"},
		{"--consistency", "strong"},
		{"--duration", "0"},
		{"--bucket", ""},
		{"extra"},
	} {
		if _, err := parseBench(args, envMap(nil)); !errors.As(err, new(usageError)) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	if _, err := parseBench(nil, envMap(map[string]string{"MAPSTORE_BENCH_OP": "x"})); err == nil || !strings.Contains(err.Error(), "MAPSTORE_BENCH_OP") {
		t.Errorf("bad variable: %v, want an error naming it", err)
	}
	if _, err := parseBench([]string{"--help"}, envMap(nil)); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help: %v", err)
	}
	code, stdout, _ := runBenchCmd(t, nil, "--help")
	for _, s := range want.settings() {
		if code != exitOK || !strings.Contains(stdout, "--"+s.flag+" ") || s.env != "" && !strings.Contains(stdout, "$"+s.env) {
			t.Errorf("bench --help (exit %d) does not show --%s %s", code, s.flag, s.env)
		}
	}
	if code, _, stderr := runBenchCmd(t, nil, "--op", "x"); code != exitUsage || !strings.Contains(stderr, "bench --help") {
		t.Errorf("bad flag: exit %d, stderr %q", code, stderr)
	}

	for _, c := range []struct {
		size        int64
		concurrency int
		count, want int64
	}{
		{4 << 10, 16, 0, 1000},
		{0, 16, 0, 1000},
		{16 << 20, 16, 0, 64},
		{1 << 30, 16, 0, 16},
		{1 << 30, 1, 0, 1},
		{4 << 10, 16, 200, 200},
		{4 << 10, 16, 8, 8},
	} {
		if got := defaultKeys(c.size, c.concurrency, c.count); got != c.want {
			t.Errorf("defaultKeys(%d, %d, %d) = %d, want %d", c.size, c.concurrency, c.count, got, c.want)
		}
	}
}

func TestBenchCredentials(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, credentialsFile)
	fromFile := credentials{"AKIDFROMFILE", "file-secret"}
	if err := writeCredentials(file, fromFile); err != nil {
		t.Fatal(err)
	}
	fromEnv := map[string]string{envAccessKey: "AKIDFROMENV", envSecretKey: "env-secret"}
	for _, c := range []struct {
		name string
		file string
		env  map[string]string
		want credentials
	}{
		{"flag over environment", file, fromEnv, fromFile},
		{"environment", "", fromEnv, credentials{"AKIDFROMENV", "env-secret"}},
		{"data directory", "", map[string]string{"MAPSTORE_DATA_DIR": dir}, fromFile},
	} {
		cfg := defaultBenchConfig()
		cfg.credentials = c.file
		got, err := resolveBenchCredentials(cfg, envMap(c.env))
		if err != nil || got != c.want {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	for _, env := range []map[string]string{
		{"MAPSTORE_DATA_DIR": t.TempDir()},
		{envAccessKey: "only-the-key", "MAPSTORE_DATA_DIR": dir},
	} {
		if _, err := resolveBenchCredentials(defaultBenchConfig(), envMap(env)); !errors.As(err, new(usageError)) {
			t.Errorf("%v: %v, want a usage error", env, err)
		}
	}
	cfg := defaultBenchConfig()
	cfg.credentials = filepath.Join(dir, "missing")
	if _, err := resolveBenchCredentials(cfg, envMap(nil)); !errors.As(err, new(usageError)) {
		t.Errorf("missing --credentials file: %v, want a usage error", err)
	}
}
