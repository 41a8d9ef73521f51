package replication

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// smallLog makes raft compact its log after a few entries, so that a
// node that misses some needs a snapshot.
func smallLog(o *Options) {
	o.TrailingLogs = 8
	o.SnapshotThreshold = 16
}

// TestFollowerCatchesUpBySnapshot stops a follower, writes far past what
// the leader's log keeps, and restarts it: it receives the leader's store
// as a snapshot, switches to it, and then follows the log again. Objects
// the follower had and that were deleted meanwhile are gone from it.
func TestFollowerCatchesUpBySnapshot(t *testing.T) {
	c := newCluster(t, 3, smallLog)
	ctx := context.Background()
	l := c.leader(10 * time.Second)
	createBucket(t, l, "bkt")
	want := map[string][]byte{}
	for i := range 10 {
		key, body := fmt.Sprintf("old-%d", i), bytes.Repeat([]byte{byte(i)}, 30000)
		if _, err := put(ctx, l.s3, "bkt", key, body, nil); err != nil {
			t.Fatal(err)
		}
		want[key] = body
	}
	f := c.followers(l)[0]
	c.caughtUp(10 * time.Second)
	f.stop()
	for i := range 5 {
		key := fmt.Sprintf("old-%d", i)
		if err := l.s3.DeleteObject(ctx, "bkt", key); err != nil {
			t.Fatal(err)
		}
		delete(want, key)
	}
	for i := range 80 {
		key, body := fmt.Sprintf("new-%d", i), bytes.Repeat([]byte{byte(i)}, 100*i+i%3*(1<<20))
		if _, err := put(ctx, l.s3, "bkt", key, body, nil); err != nil {
			t.Fatal(err)
		}
		want[key] = body
	}
	// Wait for the leader's log to be compacted past what f has.
	retry(t, 20*time.Second, "leader log compaction", func() error {
		first, err := l.node.bolt.FirstIndex()
		if err != nil || first <= f.lastApplied {
			return fmt.Errorf("first log index %d (f at %d): %v", first, f.lastApplied, err)
		}
		return nil
	})
	f.start()
	c.caughtUp(30 * time.Second)
	if gen, _ := readCurrent(f.dir); gen < 2 {
		t.Fatalf("follower's store generation %d: no snapshot was installed", gen)
	}
	stale := http.Header{ConsistencyHeader: {"stale"}}
	for key, body := range want {
		got, err := get(ctx, f.s3, "bkt", key, stale)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("%s on the caught-up follower: %d bytes, %v", key, len(got), err)
		}
	}
	for i := range 5 {
		if _, err := get(ctx, f.s3, "bkt", fmt.Sprintf("old-%d", i), stale); err == nil {
			t.Fatalf("old-%d, deleted while the follower was away, is still on it", i)
		}
	}
	// It follows the log again.
	if _, err := put(ctx, f.s3, "bkt", "after", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	c.caughtUp(10 * time.Second)
	if got, err := get(ctx, f.s3, "bkt", "after", stale); err != nil || string(got) != "x" {
		t.Fatalf("after: %q %v", got, err)
	}
	// Its old generation is gone.
	if _, err := os.Stat(genDir(f.dir, 1)); !os.IsNotExist(err) {
		t.Fatalf("old store generation still there: %v", err)
	}
}

// TestAddAndRemoveNodes adds a fourth node under load (it catches up from
// a snapshot), removes an original one, and checks that writes continue
// and every node has every acknowledged object.
func TestAddAndRemoveNodes(t *testing.T) {
	c := newCluster(t, 3, smallLog)
	l := c.leader(10 * time.Second)
	createBucket(t, l, "bkt")
	w := startWriters(t, c, 4)
	time.Sleep(500 * time.Millisecond)
	n4 := c.add("n4")
	retry(t, 10*time.Second, "add n4", func() error {
		l := c.leader(10 * time.Second)
		return l.node.Raft().AddVoter(raft.ServerID("n4"), n4.addr, 0, 5*time.Second).Error()
	})
	time.Sleep(500 * time.Millisecond)
	gone := c.nodes[1]
	retry(t, 10*time.Second, "remove n2", func() error {
		l := c.leader(10 * time.Second)
		return l.node.Raft().RemoveServer(raft.ServerID(gone.id), 0, 5*time.Second).Error()
	})
	gone.stop()
	time.Sleep(500 * time.Millisecond)
	acked := w.stop()
	if len(acked) < 20 {
		t.Fatalf("only %d writes acknowledged under membership changes", len(acked))
	}
	l = c.leader(10 * time.Second)
	cfg := l.node.Raft().GetConfiguration()
	if err := cfg.Error(); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(cfg.Configuration().Servers); !bytes.Contains([]byte(got), []byte("n4")) || bytes.Contains([]byte(got), []byte(gone.id+" ")) {
		t.Fatalf("configuration %s: want n4 in and %s out", got, gone.id)
	}
	c.caughtUp(30 * time.Second)
	checkAcked(t, c, acked)
}

// writers put unique keys through random nodes until stopped, and record
// what was acknowledged.
type writers struct {
	stopc chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	acked map[string][]byte
	n     atomic.Int64
}

func startWriters(t *testing.T, c *testCluster, n int) *writers {
	w := &writers{stopc: make(chan struct{}), acked: map[string][]byte{}}
	for i := range n {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for j := 0; ; j++ {
				select {
				case <-w.stopc:
					return
				default:
				}
				key := fmt.Sprintf("w%d-%d", i, j)
				body := bytes.Repeat([]byte{byte(i), byte(j)}, 50+j%7*3000)
				c.mu.Lock()
				var up []*testNode
				for _, tn := range c.nodes {
					if tn.node != nil {
						up = append(up, tn)
					}
				}
				c.mu.Unlock()
				tn := up[(i+j)%len(up)]
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_, err := put(ctx, tn.s3, "bkt", key, body, nil)
				cancel()
				if err == nil {
					w.mu.Lock()
					w.acked[key] = body
					w.mu.Unlock()
					w.n.Add(1)
				} else {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	return w
}

func (w *writers) stop() map[string][]byte {
	close(w.stopc)
	w.wg.Wait()
	return w.acked
}

// checkAcked reads every acknowledged object from every running node's
// own store.
func checkAcked(t *testing.T, c *testCluster, acked map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	stale := http.Header{ConsistencyHeader: {"stale"}}
	for _, tn := range c.nodes {
		if tn.node == nil {
			continue
		}
		for key, body := range acked {
			got, err := get(ctx, tn.s3, "bkt", key, stale)
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("acknowledged %s on %s: %d bytes, %v", key, tn.id, len(got), err)
			}
		}
	}
}

// TestRollingRestartUnderLoad restarts every node in turn while writers
// keep writing through all of them: no acknowledged write is lost.
func TestRollingRestartUnderLoad(t *testing.T) {
	c := newCluster(t, 3, nil)
	createBucket(t, c.leader(10*time.Second), "bkt")
	w := startWriters(t, c, 4)
	for _, tn := range c.nodes {
		time.Sleep(300 * time.Millisecond)
		tn.stop()
		time.Sleep(300 * time.Millisecond)
		tn.start()
		c.caughtUp(15 * time.Second)
	}
	time.Sleep(300 * time.Millisecond)
	acked := w.stop()
	if len(acked) < 20 {
		t.Fatalf("only %d writes acknowledged during the rolling restart", len(acked))
	}
	c.caughtUp(15 * time.Second)
	checkAcked(t, c, acked)
	t.Logf("%d writes acknowledged during the rolling restart", len(acked))
}
