package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"mapstore/internal/s3client"
)

// The operations of a run: the keys a read needs, written first, and the
// clients that load the endpoints.

// prepareKeys makes sure each of the cfg.keys keys holds an object of
// cfg.size bytes, writing those that are missing or of another size,
// with cfg.concurrency clients. It stops at the first failure.
func prepareKeys(ctx context.Context, cfg benchConfig, clients []*s3client.Client, body payload) error {
	prepCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		once     sync.Once
		firstErr error
	)
	fail := func(err error) {
		once.Do(func() { firstErr = err })
		cancel()
	}
	prefix := benchPrefix(cfg.size)
	var next atomic.Int64
	var wg sync.WaitGroup
	for i := range min(int64(cfg.concurrency), cfg.keys) {
		c := clients[int(i)%len(clients)]
		wg.Go(func() {
			for prepCtx.Err() == nil {
				k := next.Add(1) - 1
				if k >= cfg.keys {
					return
				}
				key := benchKey(prefix, k)
				info, err := c.HeadObject(prepCtx, cfg.bucket, key, nil)
				if err == nil && info.Size == cfg.size {
					continue
				}
				if err == nil || s3client.IsNotFound(err) {
					_, err = c.PutObject(prepCtx, cfg.bucket, key, body.body(k, cfg.size), cfg.size, nil)
				}
				if err != nil {
					fail(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", context.Cause(ctx))
	}
	return firstErr
}

// benchPrefix is the common prefix of the keys of objects of size
// bytes, so that runs with different sizes use different objects.
func benchPrefix(size int64) string { return "bench/" + formatSize(size) + "/" }

// benchKey is the name of key number i.
func benchKey(prefix string, i int64) string { return fmt.Sprintf("%s%07d", prefix, i) }

// benchWorker is one client of a run: it starts one operation after the
// other until the run ends.
type benchWorker struct {
	cfg       *benchConfig
	client    *s3client.Client
	stats     *benchStats
	issued    *atomic.Int64 // operations started by all clients
	body      payload
	rng       *rand.Rand  // picks GET or PUT in a mixed run
	buf       []byte      // GET bodies are read into it and dropped
	getHeader http.Header // sent with GETs
	prefix    string
}

// run starts operations, under ctx, until stop is done or cfg.count
// operations have been started by all clients together.
func (w *benchWorker) run(stop, ctx context.Context) {
	for stop.Err() == nil {
		seq := w.issued.Add(1) - 1
		if w.cfg.count > 0 && seq >= w.cfg.count {
			return
		}
		kind := kindPut
		switch w.cfg.op {
		case benchGet:
			kind = kindGet
		case benchMixed:
			if w.rng.Float64() < w.cfg.getRatio {
				kind = kindGet
			}
		}
		key := benchKey(w.prefix, seq%w.cfg.keys)
		start := time.Now()
		var n int64
		var err error
		if kind == kindGet {
			n, err = w.get(ctx, key)
		} else {
			n, err = w.put(ctx, seq, key)
		}
		w.stats.record(kind, time.Since(start), n, err)
	}
}

// put writes key with cfg.size bytes of the shared payload.
func (w *benchWorker) put(ctx context.Context, seq int64, key string) (int64, error) {
	_, err := w.client.PutObject(ctx, w.cfg.bucket, key, w.body.body(seq, w.cfg.size), w.cfg.size, nil)
	if err != nil {
		return 0, err
	}
	return w.cfg.size, nil
}

// get reads key to the end, dropping the bytes, and checks its size.
func (w *benchWorker) get(ctx context.Context, key string) (int64, error) {
	rc, _, err := w.client.GetObject(ctx, w.cfg.bucket, key, w.getHeader)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	var n int64
	for {
		m, err := rc.Read(w.buf)
		n += int64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, fmt.Errorf("GetObject %s/%s: reading the body: %w", w.cfg.bucket, key, err)
		}
	}
	if n != w.cfg.size {
		return n, fmt.Errorf("GetObject %s/%s: %w: %d bytes, want %d", w.cfg.bucket, key, errShortBody, n, w.cfg.size)
	}
	return n, nil
}
