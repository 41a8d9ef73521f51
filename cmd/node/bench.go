package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"mapstore/internal/s3client"
)

// runBench parses bench's configuration, runs the load and prints the
// summary. It fails (exit status 1) if any operation failed or none
// completed.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, err := parseBench(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		printBenchUsage(stdout)
		return exitOK
	}
	var creds credentials
	if err == nil {
		creds, err = resolveBenchCredentials(cfg, getenv)
	}
	var uerr usageError
	if errors.As(err, &uerr) {
		fmt.Fprintf(stderr, "mapstore bench: %v\nRun 'mapstore bench --help' for usage.\n", err)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "mapstore bench: %v\n", err)
		return exitError
	}

	sum, err := bench(ctx, cfg, creds, stderr)
	if errors.As(err, &uerr) {
		fmt.Fprintf(stderr, "mapstore bench: %v\nRun 'mapstore bench --help' for usage.\n", err)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "mapstore bench: %v%s\n", err, credentialsHint(errorKey(err)))
		return exitError
	}
	if cfg.json {
		if err := sum.writeJSON(stdout); err != nil {
			fmt.Fprintf(stderr, "mapstore bench: writing the summary: %v\n", err)
			return exitError
		}
	} else {
		sum.writeText(stdout)
	}
	switch {
	case sum.Errors > 0:
		key := mostFrequent(sum.ErrorCounts)
		fmt.Fprintf(stderr, "mapstore bench: %d of %d operations failed; %d with %s, e.g. %s%s\n",
			sum.Errors, sum.Ops+sum.Errors, sum.ErrorCounts[key], key, sum.samples[key], credentialsHint(key))
		return exitError
	case sum.Ops == 0:
		fmt.Fprintln(stderr, "mapstore bench: no operation completed")
		return exitError
	}
	return exitOK
}

// credentialsHint suggests what to check after a failure of class key
// (see errorKey) that says the server refused the credentials.
func credentialsHint(key string) string {
	switch key {
	case "403 SignatureDoesNotMatch", "403 InvalidAccessKeyId":
		return " (check the credentials and --region)"
	}
	return ""
}

// mostFrequent returns the key with the highest count (the first in
// sorted order on a tie).
func mostFrequent(counts map[string]int64) string {
	best := ""
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		if best == "" || counts[k] > counts[best] {
			best = k
		}
	}
	return best
}

// bench runs the load described by cfg: it creates the bucket if
// missing, writes the keys a read needs, then runs cfg.concurrency
// clients until the duration runs out, cfg.count operations have been
// started, or SIGINT or SIGTERM arrives; operations in flight then
// finish (a second signal kills the process). Progress goes to stderr.
// The returned error is a failure of the setup; failed operations are
// counted in the summary.
func bench(ctx context.Context, cfg benchConfig, creds credentials, stderr io.Writer) (*benchSummary, error) {
	sigCtx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(sigCtx, stop) // after the first signal, the default action again

	clients, err := newBenchClients(cfg, creds)
	if err != nil {
		return nil, err
	}
	say := func(format string, args ...any) {
		if !cfg.noProgress {
			fmt.Fprintf(stderr, "mapstore bench: "+format+"\n", args...)
		}
	}
	if err := ensureBucket(sigCtx, clients[0], cfg.bucket); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.endpoints[0], err)
	}
	body := newPayload()
	if cfg.op != benchPut {
		say("writing those of the %d keys of %s to read that are missing", cfg.keys, formatSize(cfg.size))
		start := time.Now()
		if err := prepareKeys(sigCtx, cfg, clients, body); err != nil {
			return nil, fmt.Errorf("writing the keys to read: %w", err)
		}
		say("keys ready in %.1fs; %s for %s", time.Since(start).Seconds(), cfg.op, runLimit(cfg))
	}

	runCtx := sigCtx
	if cfg.duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(sigCtx, cfg.duration)
		defer cancel()
	}
	stats := newBenchStats()
	var issued atomic.Int64
	start := time.Now()
	done := make(chan struct{})
	var progressDone sync.WaitGroup
	if !cfg.noProgress {
		p := newProgress(stderr, cfg, stats, start)
		progressDone.Go(func() { p.run(done) })
	}
	var workers sync.WaitGroup
	for i := range cfg.concurrency {
		w := &benchWorker{
			cfg:    &cfg,
			client: clients[i%len(clients)],
			stats:  stats,
			issued: &issued,
			body:   body,
			rng:    rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano()))),
			buf:    make([]byte, 64<<10),
			prefix: benchPrefix(cfg.size),
		}
		if cfg.consistency != "" {
			w.getHeader = http.Header{consistencyHeader: {cfg.consistency}}
		}
		// Operations run under ctx: the end of the run stops new ones,
		// not those in flight.
		workers.Go(func() { w.run(runCtx, ctx) })
	}
	workers.Wait()
	elapsed := time.Since(start)
	close(done)
	progressDone.Wait()
	if sigCtx.Err() != nil && ctx.Err() == nil {
		say("interrupted after %.1fs", elapsed.Seconds())
	}
	return summarize(cfg, stats, elapsed), nil
}

// runLimit describes when the run ends.
func runLimit(cfg benchConfig) string {
	switch {
	case cfg.count == 0:
		return cfg.duration.String()
	case cfg.duration == 0:
		return fmt.Sprintf("%d operations", cfg.count)
	}
	return fmt.Sprintf("%d operations or %s", cfg.count, cfg.duration)
}

// newBenchClients returns one client per endpoint, all sharing one HTTP
// transport that keeps an idle connection for every client.
func newBenchClients(cfg benchConfig, creds credentials) ([]*s3client.Client, error) {
	hc := s3client.NewHTTPClient()
	if t, ok := hc.Transport.(*http.Transport); ok {
		t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, cfg.concurrency)
	}
	clients := make([]*s3client.Client, len(cfg.endpoints))
	for i, e := range cfg.endpoints {
		c, err := s3client.New(s3client.Options{
			Endpoint:   e,
			AccessKey:  creds.accessKey,
			SecretKey:  creds.secretKey,
			Region:     cfg.region,
			HTTPClient: hc,
		})
		if err != nil {
			return nil, usageError{err}
		}
		clients[i] = c
	}
	return clients, nil
}

// ensureBucket creates bucket unless it exists already.
func ensureBucket(ctx context.Context, c *s3client.Client, bucket string) error {
	err := c.CreateBucket(ctx, bucket)
	if s3client.HasCode(err, "BucketAlreadyOwnedByYou") {
		return nil
	}
	return err
}
