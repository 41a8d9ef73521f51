package localstore

import (
	"context"
	"sync"
)

// The single-node write path. Backend methods turn each request into ops
// and propose them; one goroutine takes every proposal waiting, applies
// them as one batch with the next index and answers each with its own
// results. While a batch commits (a device sync and a journal commit),
// the next proposals queue up and go together: group commit, so many
// concurrent writers share each sync. A replicated store is given another
// Proposer instead (Options.Proposer): raft, which orders the batches and
// has every replica call Apply with its log index.

// Proposer orders ops into batches and has them applied, through
// Store.Apply, on every replica of the store.
type Proposer interface {
	// Propose queues ops to be applied together, in one batch, in order
	// with every other proposal. It does not wait.
	Propose(ops []Op) Proposal
}

// Proposal is ops proposed and not yet known to be applied.
type Proposal interface {
	// Wait returns the ops' results once they are applied on this node,
	// or why they may not have been. A proposal cannot be withdrawn: ctx
	// only stops the waiting, and the ops may still apply.
	Wait(ctx context.Context) ([]Result, error)
}

const (
	// maxBatchOps and maxBatchBytes bound one batch.
	maxBatchOps   = 4096
	maxBatchBytes = 64 << 20
)

// proposal is ops waiting to be applied together.
type proposal struct {
	ops  []Op
	res  []Result
	err  error
	done chan struct{}
}

// Wait returns the proposal's results once applied.
func (p *proposal) Wait(ctx context.Context) ([]Result, error) {
	select {
	case <-p.done:
		return p.res, p.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type committer struct {
	s       *Store
	mu      sync.Mutex
	queue   []*proposal
	wake    chan struct{}
	stopc   chan struct{}
	done    chan struct{}
	stopped bool
}

func newCommitter(s *Store) *committer {
	c := &committer{s: s, wake: make(chan struct{}, 1), stopc: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// Propose queues ops to be applied in one batch, in order with every
// other proposal.
func (c *committer) Propose(ops []Op) Proposal {
	p := &proposal{ops: ops, done: make(chan struct{})}
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		p.err = ErrClosed
		close(p.done)
		return p
	}
	c.queue = append(c.queue, p)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return p
}

// take removes the proposals of the next batch from the queue.
func (c *committer) take() []*proposal {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ops, bytes := 0, 0, 0
	for n < len(c.queue) {
		p := c.queue[n]
		size := 0
		for i := range p.ops {
			size += len(p.ops[i].Data) + len(p.ops[i].Inline)
		}
		if n > 0 && (ops+len(p.ops) > maxBatchOps || bytes+size > maxBatchBytes) {
			break
		}
		ops += len(p.ops)
		bytes += size
		n++
	}
	out := c.queue[:n:n]
	c.queue = c.queue[n:]
	return out
}

func (c *committer) run() {
	defer close(c.done)
	for {
		ps := c.take()
		if len(ps) == 0 {
			select {
			case <-c.wake:
				continue
			case <-c.stopc:
				c.mu.Lock()
				c.stopped = true
				rest := c.queue
				c.queue = nil
				c.mu.Unlock()
				for _, p := range rest {
					p.err = ErrClosed
					close(p.done)
				}
				return
			}
		}
		var b Batch
		for _, p := range ps {
			b.Ops = append(b.Ops, p.ops...)
		}
		res, err := c.s.Apply(&b, c.s.Applied()+1)
		for _, p := range ps {
			if err != nil {
				p.err = err
			} else {
				p.res, res = res[:len(p.ops):len(p.ops)], res[len(p.ops):]
			}
			close(p.done)
		}
	}
}

// stop applies what is queued, then refuses new proposals.
func (c *committer) stop() {
	close(c.stopc)
	<-c.done
}
