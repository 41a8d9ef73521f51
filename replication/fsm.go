package replication

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/hashicorp/raft"

	"mapstore/localstore"
)

// fsm is the raft state machine: the node's store. Each command entry is
// a batch, applied with the entry's index (localstore.Store.Apply skips
// entries it already applied, so a restarted node replays only what its
// store lacks). A store that fails, or an entry that does not decode,
// stops the node: a replica that cannot apply what the others applied
// must not serve.
type fsm struct{ n *Node }

// applyResult is what Apply gives back to the proposer on the leader.
type applyResult struct {
	res []localstore.Result
	err error
}

func (f *fsm) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	b, err := localstore.DecodeBatch(l.Data)
	if err != nil {
		err = fmt.Errorf("replication: entry %d: %w", l.Index, err)
		f.n.fatal(err)
		return applyResult{err: err}
	}
	start := time.Now()
	res, err := f.n.store().Apply(b, l.Index)
	if err != nil {
		err = fmt.Errorf("replication: applying entry %d: %w", l.Index, err)
		f.n.fatal(err)
		return applyResult{err: err}
	}
	if o := f.n.opts.ObserveApply; o != nil {
		o(time.Since(start), len(b.Ops))
	}
	return applyResult{res: res}
}

// Snapshot records where the store is: the store is the snapshot.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	return marker{applied: f.n.store().Applied()}, nil
}

// marker is a local snapshot's content: the store's applied index.
type marker struct{ applied uint64 }

func (m marker) Persist(sink raft.SnapshotSink) error {
	b := make([]byte, len(markerMagic)+8)
	copy(b, markerMagic)
	binary.LittleEndian.PutUint64(b[len(markerMagic):], m.applied)
	if _, err := sink.Write(b); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (marker) Release() {}

// Restore switches to the store generation a received snapshot was
// restored into.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 256))
	if err != nil {
		return fmt.Errorf("replication: reading snapshot: %w", err)
	}
	id, ok := cutPrefix(b, preparedMagic)
	if !ok {
		return fmt.Errorf("replication: restore: the snapshot holds no store (only received snapshots can be restored)")
	}
	p := f.n.snaps.take(id)
	if p == nil {
		return fmt.Errorf("replication: restore: snapshot %s has no store prepared", id)
	}
	return f.n.switchGeneration(p)
}

func cutPrefix(b []byte, prefix string) (string, bool) {
	if len(b) < len(prefix) || string(b[:len(prefix)]) != prefix {
		return "", false
	}
	return string(b[len(prefix):]), true
}
