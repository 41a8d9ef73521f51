package replication

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"mapstore/internal/s3client"
)

// TestWritesThroughAnyNode writes through every node, followers
// forwarding to the leader, and reads back through every node, both
// linearizable (forwarded) and stale (local, once the node caught up).
func TestWritesThroughAnyNode(t *testing.T) {
	c := newCluster(t, 3, nil)
	ctx := context.Background()
	l := c.leader(10 * time.Second)
	f := c.followers(l)[0]
	createBucket(t, f, "bkt")
	bodies := map[string][]byte{}
	for i, tn := range c.nodes {
		for j, size := range []int{0, 100, 20 << 10, 3<<20 + 5} {
			key := fmt.Sprintf("k%d-%d", i, j)
			body := bytes.Repeat([]byte{byte(i*4 + j)}, size)
			if _, err := put(ctx, tn.s3, "bkt", key, body, nil); err != nil {
				t.Fatalf("put %s through %s: %v", key, tn.id, err)
			}
			bodies[key] = body
		}
	}
	for _, tn := range c.nodes {
		for key, want := range bodies {
			got, err := get(ctx, tn.s3, "bkt", key, nil)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("linearizable get %s through %s: %d bytes, %v", key, tn.id, len(got), err)
			}
		}
	}
	c.caughtUp(10 * time.Second)
	stale := http.Header{ConsistencyHeader: {"stale"}}
	for _, tn := range c.nodes {
		for key, want := range bodies {
			got, err := get(ctx, tn.s3, "bkt", key, stale)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("stale get %s from %s: %d bytes, %v", key, tn.id, len(got), err)
			}
		}
	}
}

// TestLeaderFailover stops the leader; a new one is elected, keeps every
// acknowledged object, and takes writes; the old leader comes back and
// catches up.
func TestLeaderFailover(t *testing.T) {
	c := newCluster(t, 3, nil)
	ctx := context.Background()
	l := c.leader(10 * time.Second)
	createBucket(t, l, "bkt")
	acked := map[string][]byte{}
	for i := range 20 {
		key, body := fmt.Sprintf("before-%d", i), bytes.Repeat([]byte{byte(i)}, 1000*i)
		if _, err := put(ctx, l.s3, "bkt", key, body, nil); err != nil {
			t.Fatal(err)
		}
		acked[key] = body
	}
	l.stop()
	l2 := c.leader(10 * time.Second)
	for i := range 20 {
		key, body := fmt.Sprintf("after-%d", i), bytes.Repeat([]byte{byte(100 + i)}, 2000*i)
		retry(t, 10*time.Second, "put after failover", func() error {
			_, err := put(ctx, l2.s3, "bkt", key, body, nil)
			return err
		})
		acked[key] = body
	}
	l.start()
	c.leader(10 * time.Second)
	c.waitApplied(c.leader(10*time.Second).node.Store().Applied(), 10*time.Second)
	stale := http.Header{ConsistencyHeader: {"stale"}}
	for _, tn := range c.nodes {
		for key, want := range acked {
			got, err := get(ctx, tn.s3, "bkt", key, stale)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("get %s from %s after failover: %d bytes, %v", key, tn.id, len(got), err)
			}
		}
	}
}

// TestMinorityCannotCommit isolates the leader: it cannot acknowledge a
// write nor serve a linearizable read, while the majority elects a new
// leader that does both. Once healed, the old leader has the majority's
// writes and none of its own unacknowledged ones.
func TestMinorityCannotCommit(t *testing.T) {
	c := newCluster(t, 3, nil)
	ctx := context.Background()
	l := c.leader(10 * time.Second)
	createBucket(t, l, "bkt")
	if _, err := put(ctx, l.s3, "bkt", "k", []byte("v1"), nil); err != nil {
		t.Fatal(err)
	}
	c.isolate(l)
	short, cancel := context.WithTimeout(ctx, 3*time.Second)
	_, err := put(short, l.s3, "bkt", "k", []byte("minority"), nil)
	cancel()
	if err == nil {
		t.Fatal("the isolated leader acknowledged a write")
	}
	var l2 *testNode
	retry(t, 10*time.Second, "a leader in the majority", func() error {
		for _, f := range c.followers(l) {
			if f.node.Ready() {
				l2 = f
				return nil
			}
		}
		return fmt.Errorf("none yet")
	})
	retry(t, 10*time.Second, "put on the majority", func() error {
		_, err := put(ctx, l2.s3, "bkt", "k", []byte("v2"), nil)
		return err
	})
	// The old leader, still cut off, must not answer a linearizable read
	// with its old value.
	short, cancel = context.WithTimeout(ctx, 3*time.Second)
	got, err := get(short, l.s3, "bkt", "k", nil)
	cancel()
	if err == nil {
		t.Fatalf("the isolated node served a linearizable read: %q", got)
	}
	c.connect(l)
	c.waitApplied(l2.node.Store().Applied(), 10*time.Second)
	got, err = get(ctx, l.s3, "bkt", "k", http.Header{ConsistencyHeader: {"stale"}})
	if err != nil || string(got) != "v2" {
		t.Fatalf("healed node has %q, %v; want v2", got, err)
	}
}

// TestRacingConditionalPuts has clients on every node race to create the
// same keys with If-None-Match: * and to replace them with If-Match: for
// each key and round exactly one wins. (Every racer writes different
// bytes: a write of the same bytes keeps the ETag, and matches again.)
func TestRacingConditionalPuts(t *testing.T) {
	c := newCluster(t, 3, nil)
	ctx := context.Background()
	l := c.leader(10 * time.Second)
	createBucket(t, l, "bkt")
	const keys, racers = 10, 6
	for k := range keys {
		key := fmt.Sprintf("k%d", k)
		type outcome struct {
			etag string
			err  error
		}
		race := func(round string, h func(i int) http.Header) []outcome {
			out := make([]outcome, racers)
			done := make(chan struct{})
			for i := range racers {
				go func() {
					defer func() { done <- struct{}{} }()
					cl := c.nodes[i%len(c.nodes)].s3
					out[i].etag, out[i].err = put(ctx, cl, "bkt", key, []byte(fmt.Sprintf("%s-%s-%d", key, round, i)), h(i))
				}()
			}
			for range racers {
				<-done
			}
			return out
		}
		check := func(round string, out []outcome) string {
			wins, unknown := "", false
			for i, o := range out {
				switch {
				case o.err == nil:
					if wins != "" {
						t.Fatalf("%s %s: two racers won (%s and %d)", key, round, wins, i)
					}
					wins = o.etag
				case unavailable(o.err):
					unknown = true // a leader change: it may or may not have won
				case !s3client.IsPreconditionFailed(o.err) && s3client.StatusCode(o.err) != http.StatusConflict:
					t.Fatalf("%s %s: racer %d: %v", key, round, i, o.err)
				}
			}
			if wins == "" && !unknown {
				t.Fatalf("%s %s: nobody won", key, round)
			}
			return wins
		}
		etag := check("create", race("create", func(int) http.Header { return http.Header{"If-None-Match": {"*"}} }))
		if etag == "" { // the winner's answer was lost: read what won
			_, info, err := l.s3.GetObject(ctx, "bkt", key, nil)
			if err != nil {
				t.Fatal(err)
			}
			etag = info.ETag
		}
		check("replace", race("replace", func(int) http.Header { return http.Header{"If-Match": {etag}} }))
	}
}
