package replication

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"mapstore/localstore"
)

// The snapshot store. Raft takes snapshots to compact its log and sends
// them to followers too far behind. The store itself is the state raft
// would snapshot, and it is durable at every applied index, so:
//
//   - a local snapshot (compaction) records only its metadata and the
//     store's applied index: its cost does not depend on the data's size;
//   - opening a snapshot to send it streams a dump of the store as it is
//     now (at an index at or past the snapshot's; the follower skips the
//     entries it then receives again, as Apply is idempotent);
//   - a snapshot received is restored, as it arrives, into the next store
//     generation; the FSM's Restore then switches to it.
//
// On disk, one directory per snapshot, with its metadata:
//
//	raft/snapshots/<term>-<index>-<ms>/meta.json
//	  {"Version":1,"ID":...,"Index":...,"Term":...,"Configuration":...,
//	   "ConfigurationIndex":...,"Size":...,"Gen":n}
//
// Gen is set for a received snapshot: the store generation that holds it.

const (
	metaFile      = "meta.json"
	keepSnapshots = 2

	// Local snapshots hold a marker; received ones are dumps; and a
	// received one handed to Restore is a pointer to its generation.
	markerMagic   = "MSSNAPM1"
	preparedMagic = "MSSNAPP1"
	dumpMagic     = localstore.DumpMagic
)

type snapMeta struct {
	raft.SnapshotMeta
	Gen uint64 `json:",omitempty"`
}

// snapStore is the raft.SnapshotStore of a node.
type snapStore struct {
	n   *Node
	dir string

	mu       sync.Mutex
	prepared map[string]*prepared // received, not yet restored
}

// prepared is a received snapshot restored into a generation, waiting for
// the FSM to switch to it.
type prepared struct {
	gen   uint64
	store *localstore.Store
}

func newSnapStore(n *Node, dir string) (*snapStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("replication: %w", err)
	}
	return &snapStore{n: n, dir: dir, prepared: map[string]*prepared{}}, nil
}

// Create starts a snapshot: a local one or one received.
func (ss *snapStore) Create(version raft.SnapshotVersion, index, term uint64, configuration raft.Configuration,
	configurationIndex uint64, trans raft.Transport) (raft.SnapshotSink, error) {
	id := fmt.Sprintf("%d-%d-%d", term, index, time.Now().UnixMilli())
	return &sink{ss: ss, meta: snapMeta{SnapshotMeta: raft.SnapshotMeta{
		Version: version, ID: id, Index: index, Term: term,
		Configuration: configuration, ConfigurationIndex: configurationIndex,
	}}}, nil
}

// List returns the snapshots, newest first.
func (ss *snapStore) List() ([]*raft.SnapshotMeta, error) {
	metas, err := ss.metas()
	if err != nil {
		return nil, err
	}
	out := make([]*raft.SnapshotMeta, len(metas))
	for i := range metas {
		out[i] = &metas[i].SnapshotMeta
	}
	return out, nil
}

// metas reads every snapshot's metadata, newest first.
func (ss *snapStore) metas() ([]snapMeta, error) {
	entries, err := os.ReadDir(ss.dir)
	if err != nil {
		return nil, fmt.Errorf("replication: listing snapshots: %w", err)
	}
	var out []snapMeta
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(ss.dir, e.Name(), metaFile))
		if errors.Is(err, os.ErrNotExist) {
			continue // cut short before its metadata was written
		}
		if err != nil {
			return nil, fmt.Errorf("replication: reading snapshot %s: %w", e.Name(), err)
		}
		var m snapMeta
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("replication: snapshot %s: %w", e.Name(), err)
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b snapMeta) int {
		if a.Term != b.Term {
			return cmp.Compare(b.Term, a.Term)
		}
		if a.Index != b.Index {
			return cmp.Compare(b.Index, a.Index)
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out, nil
}

// Open opens a snapshot: a received one waiting to be restored gives its
// generation; any other gives a dump of the store as it is now.
func (ss *snapStore) Open(id string) (*raft.SnapshotMeta, io.ReadCloser, error) {
	b, err := os.ReadFile(filepath.Join(ss.dir, id, metaFile))
	if err != nil {
		return nil, nil, fmt.Errorf("replication: opening snapshot %s: %w", id, err)
	}
	var m snapMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil, fmt.Errorf("replication: snapshot %s: %w", id, err)
	}
	ss.mu.Lock()
	p := ss.prepared[id]
	ss.mu.Unlock()
	if p != nil {
		marker := []byte(preparedMagic + id)
		m.Size = int64(len(marker))
		return &m.SnapshotMeta, io.NopCloser(bytes.NewReader(marker)), nil
	}
	d, err := ss.n.store().Dump(ss.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("replication: dumping the store for snapshot %s: %w", id, err)
	}
	ss.n.log.Info("streaming the store as a snapshot", "snapshot", id, "snapshot_index", m.Index, "store_index", d.Applied, "bytes", d.Size)
	m.Size = d.Size
	return &m.SnapshotMeta, d, nil
}

// take removes a prepared snapshot for the FSM to switch to.
func (ss *snapStore) take(id string) *prepared {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	p := ss.prepared[id]
	delete(ss.prepared, id)
	return p
}

// closePrepared closes the stores of received snapshots never switched
// to; they stay on disk, and the next start finishes the switch.
func (ss *snapStore) closePrepared() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for id, p := range ss.prepared {
		p.store.Close()
		delete(ss.prepared, id)
	}
}

// reap removes all but the newest snapshots, and the prepared
// generations nobody will switch to.
func (ss *snapStore) reap() {
	metas, err := ss.metas()
	if err != nil {
		ss.n.log.Warn("listing snapshots to remove old ones", "err", err)
		return
	}
	for _, m := range metas[min(len(metas), keepSnapshots):] {
		if p := ss.take(m.ID); p != nil {
			ss.n.discardGeneration(p.gen, p.store)
		}
		if err := os.RemoveAll(filepath.Join(ss.dir, m.ID)); err != nil {
			ss.n.log.Warn("removing an old snapshot", "snapshot", m.ID, "err", err)
		}
	}
}

// sink receives a snapshot: a local marker, or a dump restored into a
// new generation as its bytes arrive.
type sink struct {
	ss   *snapStore
	meta snapMeta
	head []byte // the first bytes, until the kind is known
	size int64

	// A dump: written into a pipe that a restore reads.
	pw      *io.PipeWriter
	restore chan restoreResult
	done    bool
}

type restoreResult struct {
	gen   uint64
	store *localstore.Store
	err   error
}

func (s *sink) ID() string { return s.meta.ID }

func (s *sink) Write(p []byte) (int, error) {
	n := len(p)
	s.size += int64(n)
	if s.pw == nil {
		s.head = append(s.head, p...)
		if len(s.head) < len(dumpMagic) || string(s.head[:len(dumpMagic)]) != dumpMagic {
			if len(s.head) > 64 {
				return 0, fmt.Errorf("replication: snapshot %s is neither a marker nor a dump", s.meta.ID)
			}
			return n, nil
		}
		pr, pw := io.Pipe()
		s.pw = pw
		s.restore = make(chan restoreResult, 1)
		go func() {
			gen, st, err := s.ss.n.restoreGeneration(pr)
			pr.CloseWithError(err)
			s.restore <- restoreResult{gen, st, err}
		}()
		p, s.head = s.head, nil
	}
	if _, err := s.pw.Write(p); err != nil {
		return 0, err
	}
	return n, nil
}

// Close finishes the snapshot and records it.
func (s *sink) Close() error {
	if s.done {
		return nil
	}
	s.done = true
	var p *prepared
	if s.pw != nil {
		s.pw.Close()
		r := <-s.restore
		if r.err != nil {
			return fmt.Errorf("replication: restoring snapshot %s: %w", s.meta.ID, r.err)
		}
		p = &prepared{gen: r.gen, store: r.store}
		s.meta.Gen = r.gen
	} else if len(s.head) < len(markerMagic) || string(s.head[:len(markerMagic)]) != markerMagic {
		return fmt.Errorf("replication: snapshot %s is neither a marker nor a dump", s.meta.ID)
	}
	s.meta.Size = s.size
	if err := s.writeMeta(); err != nil {
		if p != nil {
			s.ss.n.discardGeneration(p.gen, p.store)
		}
		return err
	}
	if p != nil {
		s.ss.mu.Lock()
		s.ss.prepared[s.meta.ID] = p
		s.ss.mu.Unlock()
	}
	s.ss.reap()
	return nil
}

func (s *sink) writeMeta() error {
	dir := filepath.Join(s.ss.dir, s.meta.ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("replication: %w", err)
	}
	b, err := json.Marshal(s.meta)
	if err != nil {
		return fmt.Errorf("replication: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, metaFile), b); err != nil {
		return err
	}
	return syncDir(s.ss.dir)
}

// Cancel abandons the snapshot.
func (s *sink) Cancel() error {
	if s.done {
		return nil
	}
	s.done = true
	if s.pw != nil {
		s.pw.CloseWithError(errors.New("replication: snapshot canceled"))
		if r := <-s.restore; r.err == nil {
			s.ss.n.discardGeneration(r.gen, r.store)
		}
	}
	return nil
}
