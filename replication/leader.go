package replication

import (
	"context"
	"time"

	"github.com/hashicorp/raft"

	"mapstore/localstore"
)

// Leadership. A node that has just become leader may not have applied
// every entry its predecessor committed: until it has, its store is
// behind what clients were told. So a new leader first commits a barrier
// (an entry of its own term: once it is applied, everything before it
// is), and only then takes writes and linearizable reads. Then it drops
// the data objects that uploads on earlier leaders left open: their
// writers are gone, for an upload streams through one leader only, and
// its proposals fail once that node is no longer leader.

// watchLeadership follows raft's leadership notifications.
func (n *Node) watchLeadership() {
	for {
		select {
		case <-n.closed:
			return
		case leader := <-n.notify:
			t := n.term.Add(1)
			if leader {
				n.wg.Add(1)
				go func() {
					defer n.wg.Done()
					n.catchUp(t)
				}()
			} else {
				n.log.Info("no longer the leader")
			}
		}
	}
}

// catchUp makes a new leader ready once it has applied every entry of
// earlier terms.
func (n *Node) catchUp(t uint64) {
	start := time.Now()
	if err := n.wait(n.raft.Barrier(0)); err != nil {
		n.log.Warn("leader could not catch up", "err", err)
		return
	}
	if n.term.Load() != t {
		return
	}
	n.readyTerm.Store(t)
	applied := n.raft.AppliedIndex()
	n.log.Info("leader ready", "applied", applied, "took", time.Since(start).Round(time.Millisecond))
	n.dropAbandoned(applied)
}

// ready reports whether the node is the leader and caught up.
func (n *Node) ready() bool {
	return n.readyTerm.Load() == n.term.Load() && n.raft.State() == raft.Leader
}

// Ready reports whether the node is the leader and may serve writes and
// linearizable reads.
func (n *Node) Ready() bool { return n.ready() }

// dropAbandoned drops the data objects opened before index before.
func (n *Node) dropAbandoned(before uint64) {
	var ops []localstore.Op
	for obj, at := range n.store().OpenData() {
		if at <= before {
			ops = append(ops, localstore.Op{Kind: localstore.OpDropData, Obj: obj})
		}
	}
	if len(ops) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := n.batcher.Propose(ops).Wait(ctx); err != nil {
		n.log.Warn("dropping uploads abandoned by an earlier leader", "data_objects", len(ops), "err", err)
		return
	}
	n.log.Info("dropped uploads abandoned by an earlier leader", "data_objects", len(ops))
}
