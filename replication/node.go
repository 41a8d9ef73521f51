package replication

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"

	"mapstore/localstore"
)

// Options configure a Node.
type Options struct {
	// ID is the node's raft server id: stable across restarts and
	// address changes. Required.
	ID string
	// Dir is the node's data directory: raft's log and snapshots in
	// Dir/raft, the store in Dir/store-<generation>. Required.
	Dir string
	// Store is the template of the store's options; Dir, Device and
	// Proposer are set by the node.
	Store localstore.Options
	// Transport carries raft's messages. Default: TCP on RaftBind,
	// advertised as RaftAdvertise (default RaftBind).
	Transport               raft.Transport
	RaftBind, RaftAdvertise string
	// Logger receives the node's and raft's logs. Default: discard.
	Logger *slog.Logger

	// Timing. Defaults suit a LAN: heartbeats of 500 ms, elections after
	// 1 s without a leader.
	HeartbeatTimeout, ElectionTimeout, LeaderLeaseTimeout time.Duration
	// TrailingLogs is how many entries a snapshot leaves in the log for
	// followers a little behind (default 4096); SnapshotThreshold how
	// many entries since the last snapshot trigger the next (default
	// 8192), checked every SnapshotInterval (default 30 s).
	TrailingLogs, SnapshotThreshold uint64
	SnapshotInterval                time.Duration
	// EntriesInFlight is how many entries the leader's batcher has in
	// raft at once (default 2).
	EntriesInFlight int
	// ApplyTimeout bounds the wait to hand an entry to raft (default 10 s).
	ApplyTimeout time.Duration
	// ObserveApply, if set, is called after each entry is applied.
	ObserveApply func(d time.Duration, ops int)
}

func (o *Options) ensureDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.RaftAdvertise == "" {
		o.RaftAdvertise = o.RaftBind
	}
	if o.HeartbeatTimeout == 0 {
		o.HeartbeatTimeout = 500 * time.Millisecond
	}
	if o.ElectionTimeout == 0 {
		o.ElectionTimeout = time.Second
	}
	if o.LeaderLeaseTimeout == 0 {
		o.LeaderLeaseTimeout = o.HeartbeatTimeout / 2
	}
	if o.TrailingLogs == 0 {
		o.TrailingLogs = 4096
	}
	if o.SnapshotThreshold == 0 {
		o.SnapshotThreshold = 8192
	}
	if o.SnapshotInterval == 0 {
		o.SnapshotInterval = 30 * time.Second
	}
	if o.EntriesInFlight == 0 {
		o.EntriesInFlight = 2
	}
	if o.ApplyTimeout == 0 {
		o.ApplyTimeout = applyTimeout
	}
}

// ErrOptions is a configuration that cannot work.
var ErrOptions = errors.New("replication: bad options")

// Node is one server of a cluster: a raft peer whose state machine is the
// node's store.
type Node struct {
	opts Options
	log  *slog.Logger

	raft    *raft.Raft
	bolt    *raftboltdb.BoltStore
	trans   raft.Transport
	snaps   *snapStore
	batcher *batcher

	genMu sync.Mutex
	gen   uint64 // the current generation
	cur   atomic.Pointer[localstore.Store]

	// Leadership: term counts leadership changes seen; readyTerm is
	// the one this node caught up with as leader (leader.go).
	notify    chan bool
	term      atomic.Uint64
	readyTerm atomic.Uint64

	fatalOnce sync.Once
	fatalErr  chan error
	closeOnce sync.Once
	closed    chan struct{}
	wg        sync.WaitGroup
}

// Open starts a node: its store, its raft log and raft itself. A new node
// has no cluster until it bootstraps one (Bootstrap) or a leader adds it.
func Open(opts Options) (*Node, error) {
	opts.ensureDefaults()
	if opts.ID == "" || opts.Dir == "" {
		return nil, fmt.Errorf("%w: a node needs an id and a data directory", ErrOptions)
	}
	if opts.Store.Device != "" {
		return nil, fmt.Errorf("%w: a cluster node keeps its store in its data directory (no separate device)", ErrOptions)
	}
	if opts.Transport == nil && opts.RaftBind == "" {
		return nil, fmt.Errorf("%w: no raft address", ErrOptions)
	}
	n := &Node{opts: opts, log: opts.Logger, notify: make(chan bool, 16), fatalErr: make(chan error, 1), closed: make(chan struct{})}
	n.batcher = newBatcher(n)
	raftDir := filepath.Join(opts.Dir, "raft")
	if err := os.MkdirAll(raftDir, 0o755); err != nil {
		return nil, fmt.Errorf("replication: %w", err)
	}
	var err error
	if n.snaps, err = newSnapStore(n, filepath.Join(raftDir, "snapshots")); err != nil {
		return nil, err
	}
	if err := n.openStore(); err != nil {
		return nil, err
	}
	// bbolt for a raft log: the free list is rebuilt at open instead of
	// written with every commit (NoFreelistSync), and kept as a map,
	// which stays fast however much the log's truncation frees.
	n.bolt, err = raftboltdb.New(raftboltdb.Options{
		Path: filepath.Join(raftDir, "raft.db"),
		BoltOptions: &bbolt.Options{
			Timeout: time.Second, NoFreelistSync: true, FreelistType: bbolt.FreelistMapType,
		},
	})
	if err != nil {
		n.closeStore()
		return nil, fmt.Errorf("replication: opening the raft log: %w", err)
	}
	if n.trans = opts.Transport; n.trans == nil {
		if n.trans, err = newTCPTransport(opts, n.log); err != nil {
			n.bolt.Close()
			n.closeStore()
			return nil, err
		}
	}
	logs, err := raft.NewLogCache(64, n.bolt)
	if err != nil {
		n.bolt.Close()
		n.closeStore()
		return nil, fmt.Errorf("replication: %w", err)
	}
	cfg := raft.DefaultConfig()
	cfg.LocalID = raft.ServerID(opts.ID)
	cfg.Logger = newHCLogger(n.log, "raft")
	cfg.HeartbeatTimeout = opts.HeartbeatTimeout
	cfg.ElectionTimeout = opts.ElectionTimeout
	cfg.LeaderLeaseTimeout = opts.LeaderLeaseTimeout
	cfg.CommitTimeout = 5 * time.Millisecond
	cfg.TrailingLogs = opts.TrailingLogs
	cfg.SnapshotThreshold = opts.SnapshotThreshold
	cfg.SnapshotInterval = opts.SnapshotInterval
	cfg.MaxAppendEntries = 32 // bounds a follower's memory: entries carry up to 4 MiB
	cfg.BatchApplyCh = true
	cfg.NoSnapshotRestoreOnStart = true // the store is durable on its own
	cfg.NotifyCh = n.notify
	n.raft, err = raft.NewRaft(cfg, &fsm{n: n}, logs, n.bolt, n.snaps, n.trans)
	if err != nil {
		n.bolt.Close()
		n.closeStore()
		return nil, fmt.Errorf("replication: starting raft: %w", err)
	}
	n.wg.Add(2)
	go func() { defer n.wg.Done(); n.batcher.run() }()
	go func() { defer n.wg.Done(); n.watchLeadership() }()
	n.log.Info("raft node started", "id", opts.ID, "raft_addr", string(n.trans.LocalAddr()),
		"store_generation", n.gen, "applied", n.store().Applied())
	return n, nil
}

func newTCPTransport(opts Options, logger *slog.Logger) (raft.Transport, error) {
	var adv net.Addr
	if opts.RaftAdvertise != opts.RaftBind {
		a, err := net.ResolveTCPAddr("tcp", opts.RaftAdvertise)
		if err != nil {
			return nil, fmt.Errorf("%w: raft address %q: %w", ErrOptions, opts.RaftAdvertise, err)
		}
		adv = a
	}
	t, err := raft.NewTCPTransportWithLogger(opts.RaftBind, adv, 4, 10*time.Second, newHCLogger(logger, "raft-net"))
	if err != nil {
		return nil, fmt.Errorf("replication: raft transport on %s (advertised %s): %w", opts.RaftBind, opts.RaftAdvertise, err)
	}
	return t, nil
}

// openStore opens the current store generation, first finishing a switch
// to a received snapshot's generation that a crash interrupted.
func (n *Node) openStore() error {
	gen, err := readCurrent(n.opts.Dir)
	if err != nil {
		return err
	}
	metas, err := n.snaps.metas()
	if err != nil {
		return err
	}
	for _, m := range metas {
		// A received snapshot is recorded only once its generation is
		// complete; raft counts it as applied, so the store must be it.
		if m.Gen > gen {
			if _, err := os.Stat(genDir(n.opts.Dir, m.Gen)); err == nil {
				n.log.Warn("finishing the switch to a received snapshot", "snapshot", m.ID, "generation", m.Gen)
				if err := writeCurrent(n.opts.Dir, m.Gen); err != nil {
					return err
				}
				gen = m.Gen
			}
		}
	}
	if err := removeOtherGenerations(n.opts.Dir, gen); err != nil {
		return err
	}
	st, err := localstore.Open(n.storeOptions(gen))
	if err != nil {
		return fmt.Errorf("replication: opening the store: %w", err)
	}
	if err := writeCurrent(n.opts.Dir, gen); err != nil {
		st.Close()
		return err
	}
	n.gen = gen
	n.cur.Store(st)
	return nil
}

func (n *Node) storeOptions(gen uint64) localstore.Options {
	o := n.opts.Store
	o.Dir = genDir(n.opts.Dir, gen)
	o.Device = ""
	o.Proposer = n.batcher
	if o.Logger == nil {
		o.Logger = n.log
	}
	return o
}

// store is the current store.
func (n *Node) store() *localstore.Store { return n.cur.Load() }

// Store returns the node's current store. It changes when the node
// installs a snapshot.
func (n *Node) Store() *localstore.Store { return n.store() }

// restoreGeneration restores a dump into a new generation.
func (n *Node) restoreGeneration(r io.Reader) (uint64, *localstore.Store, error) {
	n.genMu.Lock()
	gen := n.gen + 1
	n.genMu.Unlock()
	dir := genDir(n.opts.Dir, gen)
	if err := os.RemoveAll(dir); err != nil {
		return 0, nil, fmt.Errorf("replication: %w", err)
	}
	n.log.Info("restoring a snapshot into a new store", "generation", gen)
	start := time.Now()
	st, err := localstore.Restore(n.storeOptions(gen), r)
	if err != nil {
		os.RemoveAll(dir)
		return 0, nil, err
	}
	n.log.Info("snapshot restored", "generation", gen, "applied", st.Applied(), "took", time.Since(start).Round(time.Millisecond))
	return gen, st, nil
}

// switchGeneration makes a restored generation the node's store.
func (n *Node) switchGeneration(p *prepared) error {
	n.genMu.Lock()
	defer n.genMu.Unlock()
	if err := writeCurrent(n.opts.Dir, p.gen); err != nil {
		return err
	}
	old, oldGen := n.cur.Swap(p.store), n.gen
	n.gen = p.gen
	n.log.Info("switched to the restored store", "generation", p.gen, "applied", p.store.Applied())
	// Reads still streaming from the old store finish first.
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for deadline := time.Now().Add(time.Minute); old.Reading() && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
		}
		n.discardGeneration(oldGen, old)
	}()
	return nil
}

// discardGeneration closes a store and removes its generation.
func (n *Node) discardGeneration(gen uint64, st *localstore.Store) {
	if err := st.Close(); err != nil {
		n.log.Warn("closing a replaced store", "generation", gen, "err", err)
	}
	if err := os.RemoveAll(genDir(n.opts.Dir, gen)); err != nil {
		n.log.Warn("removing a replaced store", "generation", gen, "err", err)
	}
}

// wait returns f's error, or ErrRaftShutdown once the node is closing:
// raft never answers a future still queued when it shuts down, so a
// plain f.Error() could wait forever (and hold up Close).
func (n *Node) wait(f raft.Future) error {
	c := make(chan error, 1)
	go func() { c <- f.Error() }()
	select {
	case err := <-c:
		return err
	case <-n.closed:
		return raft.ErrRaftShutdown
	}
}

// fatal stops the node for good: its store cannot follow the log.
func (n *Node) fatal(err error) {
	n.fatalOnce.Do(func() {
		n.log.Error("the node's store cannot apply the log; the node stops", "err", err)
		n.fatalErr <- err
		go n.raft.Shutdown()
	})
}

// Failed is sent the error that stopped the node, if one does.
func (n *Node) Failed() <-chan error { return n.fatalErr }

// Raft returns the node's raft instance.
func (n *Node) Raft() *raft.Raft { return n.raft }

// ID returns the node's server id.
func (n *Node) ID() string { return n.opts.ID }

// RaftAddr returns the address other nodes reach the node's raft at.
func (n *Node) RaftAddr() string { return string(n.trans.LocalAddr()) }

// HasState reports whether the node has raft state: it was bootstrapped
// or joined a cluster before.
func (n *Node) HasState() (bool, error) {
	return raft.HasExistingState(n.bolt, n.bolt, n.snaps)
}

// Bootstrap makes the node's first configuration servers. Every node of
// a new cluster bootstraps with the same servers, once.
func (n *Node) Bootstrap(servers []raft.Server) error {
	err := n.raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error()
	if err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		return fmt.Errorf("replication: bootstrap: %w", err)
	}
	return err
}

// Close stops the node: it hands leadership over if it has it, stops
// raft and closes the store. Requests must be finished first.
func (n *Node) Close() error {
	var err error
	n.closeOnce.Do(func() {
		if n.raft.State() == raft.Leader && n.peers() > 1 {
			if e := n.raft.LeadershipTransfer().Error(); e != nil {
				n.log.Warn("handing leadership over before stopping", "err", e)
			} else {
				n.log.Info("leadership handed over")
			}
		}
		close(n.closed)
		n.batcher.close()
		if e := n.raft.Shutdown().Error(); e != nil {
			err = fmt.Errorf("replication: stopping raft: %w", e)
		}
		if c, ok := n.trans.(io.Closer); ok {
			c.Close()
		}
		n.wg.Wait()
		n.snaps.closePrepared()
		err = errors.Join(err, n.bolt.Close(), n.closeStore())
	})
	return err
}

func (n *Node) closeStore() error {
	if st := n.cur.Load(); st != nil {
		if err := st.Close(); err != nil {
			return fmt.Errorf("replication: closing the store: %w", err)
		}
	}
	return nil
}

// peers is how many servers the configuration has.
func (n *Node) peers() int {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return 0
	}
	return len(f.Configuration().Servers)
}
