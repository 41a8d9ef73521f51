package localstore_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mapstore/localstore"
)

// TestKillRecovery runs a concurrent PUT/DELETE load against the server
// process, kills it with SIGKILL at a random moment, restarts it on the same
// directory and checks what survived, several times over the same data:
//
//   - every key reads back byte-exact as one of the values it may have: the
//     value of the last acknowledged write of the key (a PUT's content, or
//     absent for a DELETE), or of any write that overlapped it or started
//     after it, or was in flight at the kill. Formally, a write W is a
//     candidate unless some acknowledged write of the key started after W
//     was acknowledged; an unacknowledged write is always a candidate. The
//     state verified after the previous restart is an acknowledged write
//     that ends when the next round starts.
//   - a body never matches no PUT of its key (nothing torn or half-written,
//     no resurrected or foreign data), and its ETag is its MD5;
//   - LIST shows exactly the keys whose GET succeeds, with their sizes and
//     ETags;
//   - the server restarts each time and logs no error, also after a second
//     SIGKILL at a random moment of the restart (while it recovers);
//   - nothing leaks: the blocks in use when the store opens (its "store
//     opened" log record) are the objects' data blocks plus at most
//     maxExtraBlocks of record segments, however many streamed PUTs the
//     kill cut short.
//
// While the load runs, readers GET the keys and check that every body is the
// content of some PUT of that key. After the last round the server is
// stopped with SIGTERM and restarted once more: then the state must be
// exactly the one verified, and recovery must find nothing to drop.
//
// Knobs: MAPSTORE_KILL_ROUNDS (default 5), MAPSTORE_KILL_SEED (default from
// the clock; logged: it fixes the writes each worker draws and the kill
// delays, not how they interleave), MAPSTORE_KILL_WORKERS (default 16).
func TestKillRecovery(t *testing.T) {
	rounds := envDefault(t, "MAPSTORE_KILL_ROUNDS", 5)
	workers := envDefault(t, "MAPSTORE_KILL_WORKERS", 16)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("MAPSTORE_KILL_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("MAPSTORE_KILL_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("MAPSTORE_KILL_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	const bucket = "kill"
	keys := make([]string, 12)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%02d", i)
	}
	dir := t.TempDir()
	ctx := context.Background()
	p := startProcServer(t, dir, envTestLogLevel+"=info")
	if err := newS3Client(p.endpoint, 1).createBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}

	h := &killHistory{seed: seed, puts: map[string][]*killOp{}}
	base := map[string]*killOp{} // the state verified: key -> its value (nil: absent)
	for round := 1; round <= rounds; round++ {
		c := newS3Client(p.endpoint, workers+4)
		startTick := h.clock.Add(1)
		ops := map[string][]*killOp{}
		for _, k := range keys {
			b := &killOp{key: k, del: true, start: startTick, end: startTick, sent: true}
			if v := base[k]; v != nil {
				b = &killOp{key: k, seed: v.seed, size: v.size, start: startTick, end: startTick, sent: true}
			}
			ops[k] = append(ops[k], b)
		}
		var opsMu sync.Mutex
		var killed, stop atomic.Bool
		var wg sync.WaitGroup
		var nerr atomic.Int64
		// report reports an error status, or a failure to talk to the
		// server before it was killed.
		report := func(err error, format string, args ...any) {
			var se *statusError
			if (errors.As(err, &se) || !killed.Load()) && nerr.Add(1) <= 10 {
				t.Errorf(format, args...)
			}
		}
		for w := range workers {
			wr := rand.New(rand.NewPCG(seed, uint64(round)<<32|uint64(w)))
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() {
					op := h.newOp(keys[wr.IntN(len(keys))], wr)
					opsMu.Lock()
					ops[op.key] = append(ops[op.key], op)
					opsMu.Unlock()
					op.sent = true
					op.start = h.clock.Add(1)
					var err error
					if op.del {
						err = c.delete(ctx, bucket, op.key)
					} else {
						err = c.put(ctx, bucket, op.key, op.size, func() io.Reader { return newGenReader(op.seed, op.size) })
					}
					if err == nil {
						op.end = h.clock.Add(1)
					} else {
						op.err = err
						report(err, "round %d: %v", round, err)
						var ne *net.OpError
						if errors.As(err, &ne) && ne.Op == "dial" {
							op.sent = false // started after the kill: never reached the server
						}
					}
				}
			}()
		}
		for range 2 {
			rr := rand.New(rand.NewPCG(seed, uint64(round)<<32|1<<16|uint64(rng.Uint32())))
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() {
					key := keys[rr.IntN(len(keys))]
					body, found, err := getBody(ctx, c, bucket, key)
					if err != nil {
						report(err, "round %d: reader: %v", round, err)
						continue
					}
					if found && h.matchAny(key, body) == nil {
						// The base value of round 1 is absent; later
						// bases are PUTs h knows.
						report(errTorn, "round %d: reader: GET %s returned %d bytes (md5 %x) that no PUT of the key wrote", round, key, len(body), md5.Sum(body))
					}
				}
			}()
		}
		load := time.Duration(200+rng.IntN(1300)) * time.Millisecond
		time.Sleep(load)
		killed.Store(true)
		p.kill()
		stop.Store(true)
		wg.Wait()
		p.checkLogs()
		var acked, inflight, inflightLarge, puts int
		for _, kops := range ops {
			for _, o := range kops[1:] {
				if !o.sent {
					continue
				}
				if o.end != 0 {
					acked++
				} else {
					inflight++
					if !o.del && o.size > 16<<10 {
						inflightLarge++
					}
				}
				if !o.del {
					puts++
				}
			}
		}

		// Kill it again at a random moment of its start, while it may be
		// recovering: recovery must survive a crash of its own.
		startup := p.startup
		q := launchProcServer(t, dir, envTestLogLevel+"=info")
		delay := time.Duration(rng.Int64N(int64(2*startup) + 1))
		time.Sleep(delay)
		q.kill()
		q.checkLogs()
		again := fmt.Sprintf("killed again %v into its start (it takes %v)", delay.Round(time.Millisecond), startup.Round(time.Millisecond))
		if strings.Contains(q.stdout.String(), listeningPrefix) {
			again += ", after it listened"
		} else if strings.Contains(q.logs.String(), `msg="store opened"`) {
			again += ", after the store opened"
		}

		p = startProcServer(t, dir, envTestLogLevel+"=info")
		opened := p.openedLog()
		got := verifyKill(t, h, p, bucket, keys, ops)
		p.checkLogs()
		present, tookEffect := 0, 0
		for _, v := range got {
			if v != nil {
				present++
			}
			if v != nil && v.end == 0 {
				tookEffect++
			}
		}
		extra := checkBlocks(t, opened, got)
		t.Logf("round %d: killed after %v: %d writes acknowledged (%d PUTs in all), %d in flight (%d PUTs into blocks); %s; after restart %d of %d keys present, %d holding an unacknowledged PUT; recovery dropped %s unfinished data objects and freed %s unreferenced ones; %d blocks used beyond the objects' data",
			round, load, acked, puts, inflight, inflightLarge, again, present, len(keys), tookEffect, opened["dropped_unfinished"], opened["freed_unreferenced"], extra)
		if t.Failed() {
			return
		}
		base = got
	}

	// A clean stop loses nothing and brings nothing back.
	p.stop()
	p.checkLogs()
	p = startProcServer(t, dir, envTestLogLevel+"=info")
	opened := p.openedLog()
	tick := h.clock.Add(1)
	ops := map[string][]*killOp{}
	for _, k := range keys {
		b := &killOp{key: k, del: true, start: tick, end: tick, sent: true}
		if v := base[k]; v != nil {
			b = &killOp{key: k, seed: v.seed, size: v.size, start: tick, end: tick, sent: true}
		}
		ops[k] = []*killOp{b}
	}
	got := verifyKill(t, h, p, bucket, keys, ops)
	extra := checkBlocks(t, opened, got)
	if opened["dropped_unfinished"] != "0" || opened["freed_unreferenced"] != "0" {
		t.Errorf("after a clean stop, recovery dropped %s unfinished data objects and freed %s unreferenced ones, want none",
			opened["dropped_unfinished"], opened["freed_unreferenced"])
	}
	t.Logf("after a clean stop and restart: %d blocks used beyond the objects' data", extra)
	p.stop()
	p.checkLogs()
}

// maxExtraBlocks bounds the blocks a store may use beyond its objects'
// data blocks, that is the allocator's 128 KiB segments of records: 4 MiB
// (with 12 keys the store uses 4 segments, 128 blocks). A streamed PUT in
// flight at a kill has written up to 3 MiB, in 1 MiB chunks of 256 blocks:
// a few of them leaked exceed the bound.
const maxExtraBlocks = 1024

// checkBlocks compares the blocks the store reported in use when it opened
// with the data blocks of the objects it holds (got), and returns the
// difference: the allocator's segments, and any leak.
func checkBlocks(t *testing.T, opened map[string]string, got map[string]*killOp) int64 {
	t.Helper()
	used, err := strconv.ParseInt(opened["blocks_used"], 10, 64)
	if err != nil {
		t.Fatalf("store opened: blocks_used %q: %v", opened["blocks_used"], err)
	}
	data := int64(0)
	for _, o := range got {
		if o != nil && o.size > localstore.DefaultInlineMax {
			data += (o.size + 4095) / 4096
		}
	}
	extra := used - data
	if extra < 0 || extra > maxExtraBlocks {
		t.Errorf("the store opened with %d blocks in use, its objects' data takes %d: %d more (at most %d expected: blocks leaked?)",
			used, data, extra, maxExtraBlocks)
	}
	return extra
}

// killOp is one write of the load: a PUT of size bytes of seed's content,
// or a DELETE. start and end are ticks of the history's clock taken before
// the request was sent and after its success was read; end is 0 if it was
// not acknowledged.
type killOp struct {
	key        string
	del        bool
	seed       uint64
	size       int64
	sent       bool
	start, end int64
	err        error
}

func (o *killOp) String() string {
	ack := "acknowledged"
	if o.end == 0 {
		ack = fmt.Sprintf("not acknowledged (%v)", o.err)
	}
	if o.del {
		return fmt.Sprintf("DELETE [%d, %d] %s", o.start, o.end, ack)
	}
	return fmt.Sprintf("PUT %d bytes seed %d [%d, %d] %s", o.size, o.seed, o.start, o.end, ack)
}

// killHistory holds the clock and every PUT ever sent, per key.
type killHistory struct {
	seed  uint64
	clock atomic.Int64
	next  atomic.Uint64
	mu    sync.Mutex
	puts  map[string][]*killOp
}

// newOp draws a write of key: one in five a DELETE; PUTs tiny (stored
// inline, up to 16 KiB), just above the inline limit, or 100 KiB to 3 MiB
// (streamed into blocks, in several 1 MiB chunks).
func (h *killHistory) newOp(key string, r *rand.Rand) *killOp {
	op := &killOp{key: key}
	if r.IntN(5) == 0 {
		op.del = true
		return op
	}
	op.seed = h.seed*0x9e3779b97f4a7c15 + h.next.Add(1)
	switch x := r.IntN(100); {
	case x < 40:
		op.size = 1 + r.Int64N(16<<10)
	case x < 45:
		op.size = 16 << 10
	case x < 55:
		op.size = 16<<10 + 1 + r.Int64N(8<<10)
	default:
		op.size = 100<<10 + r.Int64N(3<<20-100<<10+1)
	}
	h.mu.Lock()
	h.puts[key] = append(h.puts[key], op)
	h.mu.Unlock()
	return op
}

// matchAny returns a PUT of key ever sent whose content is body, or nil.
func (h *killHistory) matchAny(key string, body []byte) *killOp {
	h.mu.Lock()
	puts := append([]*killOp(nil), h.puts[key]...)
	h.mu.Unlock()
	return matchBody(puts, body)
}

func matchBody(ops []*killOp, body []byte) *killOp {
	for _, o := range ops {
		if !o.del && o.size == int64(len(body)) && bytes.Equal(genBytes(o.seed, o.size), body) {
			return o
		}
	}
	return nil
}

// candidates returns the writes whose value key may have: all but those
// superseded by an acknowledged write that started after they were
// acknowledged.
func candidates(ops []*killOp) []*killOp {
	var latestStart int64 // of an acknowledged write
	for _, o := range ops {
		if o.sent && o.end != 0 && o.start > latestStart {
			latestStart = o.start
		}
	}
	var out []*killOp
	for _, o := range ops {
		if o.sent && (o.end == 0 || o.end >= latestStart) {
			out = append(out, o)
		}
	}
	return out
}

// getBody reads a key whole: found false on 404.
func getBody(ctx context.Context, c *s3Client, bucket, key string) ([]byte, bool, error) {
	resp, err := c.get(ctx, bucket, key)
	if isStatus(err, http.StatusNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, false, fmt.Errorf("GET %s: reading the body: %w", key, err)
	}
	if resp.ContentLength != int64(len(b)) {
		return nil, false, fmt.Errorf("GET %s: %d bytes with Content-Length %d", key, len(b), resp.ContentLength)
	}
	sum := md5.Sum(b)
	if etag := resp.Header.Get("ETag"); etag != `"`+hex.EncodeToString(sum[:])+`"` {
		return nil, false, fmt.Errorf("GET %s: ETag %s of a body with MD5 %x", key, etag, sum)
	}
	return b, true, nil
}

// verifyKill checks the server's state against the writes of a round and
// returns it: key -> the write whose value it has (nil: absent).
func verifyKill(t *testing.T, h *killHistory, p *procServer, bucket string, keys []string, ops map[string][]*killOp) map[string]*killOp {
	t.Helper()
	ctx := context.Background()
	c := newS3Client(p.endpoint, 1)
	list, err := listAll(ctx, sdkClient(p.endpoint), bucket, 5)
	if err != nil {
		t.Fatalf("after restart: list: %v", err)
	}
	got := map[string]*killOp{}
	for _, k := range keys {
		body, found, err := getBody(ctx, c, bucket, k)
		if err != nil {
			t.Fatalf("after restart: %v", err)
		}
		cands := candidates(ops[k])
		var match *killOp
		if found {
			match = matchBody(cands, body)
		} else {
			for _, o := range cands {
				if o.del {
					match = o
				}
			}
		}
		if match == nil {
			var why string
			switch {
			case !found:
				why = "it is absent"
			case h.matchAny(k, body) != nil:
				why = fmt.Sprintf("it has the %d bytes of a PUT that is not a candidate: %v", len(body), h.matchAny(k, body))
			default:
				why = fmt.Sprintf("it has %d bytes (md5 %x) that no PUT of the key wrote", len(body), md5.Sum(body))
			}
			var s []string
			for _, o := range ops[k] {
				s = append(s, "\t"+o.String())
			}
			var cs []string
			for _, o := range cands {
				cs = append(cs, "\t"+o.String())
			}
			t.Errorf("after restart: key %s: %s; the writes of the round (the first is the state before it):\n%s\ncandidates:\n%s",
				k, why, strings.Join(s, "\n"), strings.Join(cs, "\n"))
			delete(list, k)
			continue
		}
		if found {
			got[k] = match
			l, ok := list[k]
			sum := md5.Sum(body)
			if !ok {
				t.Errorf("after restart: key %s reads back (%d bytes) but is not listed", k, len(body))
			} else if l.size != int64(len(body)) || l.etag != `"`+hex.EncodeToString(sum[:])+`"` {
				t.Errorf("after restart: key %s listed with size %d ETag %s, reads %d bytes with MD5 %x", k, l.size, l.etag, len(body), sum)
			}
		} else if _, ok := list[k]; ok {
			t.Errorf("after restart: key %s is listed but GET answers 404", k)
		}
		delete(list, k)
	}
	var extra []string
	for k := range list {
		extra = append(extra, k)
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("after restart: keys listed that were never written: %q", extra)
	}
	return got
}

// errTorn stands for a body no PUT wrote, for report.
var errTorn = &statusError{op: "GET", status: http.StatusOK, body: "torn"}

func envDefault(t testing.TB, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}
