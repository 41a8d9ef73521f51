package replication

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"mapstore/localstore"
	"mapstore/s3api"
)

// The write batcher: the store's Proposer on every node. On the leader it
// groups the proposals waiting into one raft entry (one batch, applied
// and made durable together on every node) and gives each proposal its
// own results back. A few entries are in flight at once, so that one
// replicates while another applies; proposals arriving meanwhile wait and
// go together into the next: group commit across the cluster. A node that
// is not the leader, or has not yet caught up with its term (see
// leader.go), refuses at once; its S3 requests go to the leader anyway.

const (
	// maxEntryOps and maxEntryBytes bound one entry.
	maxEntryOps   = 4096
	maxEntryBytes = 4 << 20
)

// ErrNotLeader is a write or a linearizable read on a node that is not
// the leader (or has just become it and is not ready yet). The request
// may be retried, on the leader. It is an S3 ServiceUnavailable (503).
var ErrNotLeader = s3api.ErrServiceUnavailable.Withf("This node is not the cluster's leader, or lost leadership: retry.")

type batcher struct {
	n        *Node
	mu       sync.Mutex
	queue    []*proposal
	inflight int
	stopped  bool
	wake     chan struct{}
	stop     chan struct{}
	done     chan struct{}
}

type proposal struct {
	ops  []localstore.Op
	size int
	res  []localstore.Result
	err  error
	done chan struct{}
}

func (p *proposal) Wait(ctx context.Context) ([]localstore.Result, error) {
	select {
	case <-p.done:
		return p.res, p.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func newBatcher(n *Node) *batcher {
	return &batcher{n: n, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// Propose queues ops for the next entry.
func (b *batcher) Propose(ops []localstore.Op) localstore.Proposal {
	p := &proposal{ops: ops, done: make(chan struct{})}
	for i := range ops {
		p.size += len(ops[i].Data) + len(ops[i].Inline) + len(ops[i].Key) + 64
	}
	if !b.n.ready() {
		p.err = ErrNotLeader
		close(p.done)
		return p
	}
	b.mu.Lock()
	if b.stopped {
		b.mu.Unlock()
		p.err = errShutdown
		close(p.done)
		return p
	}
	b.queue = append(b.queue, p)
	b.mu.Unlock()
	b.signal()
	return p
}

func (b *batcher) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// take removes the proposals of the next entry, if one may go now.
func (b *batcher) take() []*proposal {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.inflight >= b.n.opts.EntriesInFlight || len(b.queue) == 0 {
		return nil
	}
	n, ops, bytes := 0, 0, 0
	for n < len(b.queue) {
		p := b.queue[n]
		if n > 0 && (ops+len(p.ops) > maxEntryOps || bytes+p.size > maxEntryBytes) {
			break
		}
		ops += len(p.ops)
		bytes += p.size
		n++
	}
	out := b.queue[:n:n]
	b.queue = b.queue[n:]
	b.inflight++
	return out
}

func (b *batcher) run() {
	defer close(b.done)
	for {
		for ps := b.take(); ps != nil; ps = b.take() {
			b.propose(ps)
		}
		select {
		case <-b.wake:
		case <-b.stop:
			b.mu.Lock()
			rest := b.queue
			b.queue, b.stopped = nil, true
			b.mu.Unlock()
			for _, p := range rest {
				p.err = errShutdown
				close(p.done)
			}
			return
		}
	}
}

// propose sends one entry to raft and, once applied, answers each of its
// proposals.
func (b *batcher) propose(ps []*proposal) {
	var batch localstore.Batch
	for _, p := range ps {
		batch.Ops = append(batch.Ops, p.ops...)
	}
	f := b.n.raft.Apply(localstore.EncodeBatch(&batch), b.n.opts.ApplyTimeout)
	go func() {
		err := b.n.wait(f)
		var res []localstore.Result
		if err == nil {
			r, _ := f.Response().(applyResult)
			res, err = r.res, r.err
			if err == nil && len(res) != len(batch.Ops) {
				err = fmt.Errorf("replication: %d results for %d ops", len(res), len(batch.Ops))
			}
		} else {
			err = raftError(err)
		}
		for _, p := range ps {
			if err != nil {
				p.err = err
			} else {
				p.res, res = res[:len(p.ops):len(p.ops)], res[len(p.ops):]
			}
			close(p.done)
		}
		b.mu.Lock()
		b.inflight--
		b.mu.Unlock()
		b.signal()
	}()
}

// raftError turns raft's refusals into what an S3 client should see: a
// node that is not (or no longer) the leader is a 503 to retry. Whether
// an entry whose leader was lost was applied is unknown to the client,
// as with any request that times out.
func raftError(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost),
		errors.Is(err, raft.ErrLeadershipTransferInProgress), errors.Is(err, raft.ErrEnqueueTimeout):
		return fmt.Errorf("%w: %w", ErrNotLeader, err)
	case errors.Is(err, raft.ErrRaftShutdown):
		return fmt.Errorf("%w: %w", errShutdown, err)
	}
	return fmt.Errorf("replication: %w", err)
}

// close refuses new proposals and fails those waiting.
func (b *batcher) close() {
	close(b.stop)
	<-b.done
}

var _ localstore.Proposer = (*batcher)(nil)

// errShutdown is a proposal to a node shutting down.
var errShutdown = s3api.ErrServiceUnavailable.Withf("This node is shutting down: retry.")

// applyTimeout is how long a proposal may wait to be enqueued.
const applyTimeout = 10 * time.Second
