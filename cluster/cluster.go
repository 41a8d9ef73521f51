package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"

	"mapstore/replication"
)

// Options configure a node's membership.
type Options struct {
	// Node is the node's raft server, started and not yet bootstrapped
	// (or restarted with its state). Required.
	Node *replication.Node
	// Bind is the gossip address (host:port, UDP and TCP); Advertise the
	// address others reach it at (default Bind, which must then be a
	// concrete IP).
	Bind, Advertise string
	// Join lists gossip addresses of members to join at start (host or
	// host:port; the port defaults to Bind's). Retried until one answers.
	Join []string
	// BootstrapExpect is how many members bootstrap a new cluster
	// together; 0 joins an existing one only.
	BootstrapExpect int
	// Voters is the most raft voters the leader makes (default 5); other
	// members are non-voters, promoted when a voter goes.
	Voters int
	// DeadGrace is how long a server may stay out of gossip before the
	// leader removes it from raft (default 2 minutes).
	DeadGrace time.Duration
	// S3URL and AdminURL are the node's endpoints, told to other members.
	S3URL, AdminURL string
	// Logger, default: discard.
	Logger *slog.Logger
	// Memberlist, if set, adjusts memberlist's configuration (tests use
	// fast timings).
	Memberlist func(*memberlist.Config)
	// ReconcileInterval is how often the leader reconciles raft with
	// gossip (default 2 s).
	ReconcileInterval time.Duration
}

// ErrOptions is a configuration that cannot work.
var ErrOptions = errors.New("cluster: bad options")

// meta is what a member tells the others about itself (in memberlist's
// node metadata, at most 512 bytes).
type meta struct {
	ID       string `json:"id"`
	Raft     string `json:"raft"`
	S3       string `json:"s3"`
	Admin    string `json:"admin,omitempty"`
	Expect   int    `json:"expect,omitempty"`
	HasState bool   `json:"state,omitempty"`
}

// Member is a member of the cluster as gossip knows it.
type Member struct {
	ID, Gossip, Raft, S3, Admin string
	// Status: alive (or suspect), or gone (failed or left).
	Status string
}

// Cluster is a node's membership: gossip with the other members,
// bootstrap, and (on the leader) raft voter reconciliation.
type Cluster struct {
	opts Options
	log  *slog.Logger
	ml   *memberlist.Memberlist

	mu   sync.Mutex
	self meta
	// known is every member gossip told of, and whether it is alive
	// (or suspect) or gone (failed or left).
	known map[string]knownNode
	// down is when a raft server was first seen missing from gossip
	// (the reconciler's own).
	down map[string]time.Time

	stop chan struct{}
	wg   sync.WaitGroup
}

// Start joins the gossip and starts bootstrapping (if configured) and
// reconciling.
func Start(opts Options) (*Cluster, error) {
	if opts.Node == nil {
		return nil, fmt.Errorf("%w: no node", ErrOptions)
	}
	if opts.Voters == 0 {
		opts.Voters = 5
	}
	if opts.DeadGrace == 0 {
		opts.DeadGrace = 2 * time.Minute
	}
	if opts.ReconcileInterval == 0 {
		opts.ReconcileInterval = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.BootstrapExpect < 0 || opts.Voters < 1 {
		return nil, fmt.Errorf("%w: bootstrap-expect %d, voters %d", ErrOptions, opts.BootstrapExpect, opts.Voters)
	}
	hasState, err := opts.Node.HasState()
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	c := &Cluster{opts: opts, log: opts.Logger, known: map[string]knownNode{}, down: map[string]time.Time{}, stop: make(chan struct{})}
	c.self = meta{ID: opts.Node.ID(), Raft: opts.Node.RaftAddr(), S3: opts.S3URL, Admin: opts.AdminURL,
		Expect: opts.BootstrapExpect, HasState: hasState}

	cfg := memberlist.DefaultLANConfig()
	cfg.Name = opts.Node.ID()
	host, port, err := splitHostPort(opts.Bind, 7946)
	if err != nil {
		return nil, fmt.Errorf("%w: gossip address %q: %w", ErrOptions, opts.Bind, err)
	}
	cfg.BindAddr, cfg.BindPort = host, port
	cfg.AdvertisePort = port
	if opts.Advertise != "" {
		ah, ap, err := splitHostPort(opts.Advertise, port)
		if err != nil {
			return nil, fmt.Errorf("%w: gossip advertise address %q: %w", ErrOptions, opts.Advertise, err)
		}
		cfg.AdvertiseAddr, cfg.AdvertisePort = ah, ap
	}
	cfg.Delegate = &delegate{c: c}
	cfg.Events = &events{c: c}
	cfg.Logger = newStdLogger(c.log.With("component", "memberlist"))
	if opts.Memberlist != nil {
		opts.Memberlist(cfg)
	}
	if c.ml, err = memberlist.Create(cfg); err != nil {
		return nil, fmt.Errorf("cluster: starting gossip on %s: %w", opts.Bind, err)
	}
	c.log.Info("gossip started", "addr", c.GossipAddr(), "bootstrap_expect", opts.BootstrapExpect, "has_raft_state", hasState)
	c.wg.Add(2)
	go func() { defer c.wg.Done(); c.joinLoop() }()
	go func() { defer c.wg.Done(); c.run() }()
	return c, nil
}

func splitHostPort(addr string, defPort int) (string, int, error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, defPort, nil
	}
	p, err := strconv.Atoi(ps)
	if err != nil || p < 0 || p > 65535 {
		return "", 0, fmt.Errorf("bad port %q", ps)
	}
	return host, p, nil
}

// GossipAddr is the address other members reach this one's gossip at.
func (c *Cluster) GossipAddr() string {
	return c.ml.LocalNode().Address()
}

// joinLoop joins the configured members, retrying until one answers.
func (c *Cluster) joinLoop() {
	if len(c.opts.Join) == 0 {
		return
	}
	_, port, _ := splitHostPort(c.opts.Bind, 7946)
	var addrs []string
	for _, a := range c.opts.Join {
		if _, _, err := net.SplitHostPort(a); err != nil {
			a = net.JoinHostPort(a, strconv.Itoa(port))
		}
		addrs = append(addrs, a)
	}
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		n, err := c.ml.Join(addrs)
		if n > 0 {
			c.log.Info("joined the cluster's gossip", "contacted", n)
			return
		}
		c.log.Warn("joining the cluster's gossip", "addrs", addrs, "err", err, "retry_in", wait)
		select {
		case <-c.stop:
			return
		case <-time.After(wait):
		}
	}
}

// Join joins the gossip of the members at addrs now.
func (c *Cluster) Join(addrs []string) (int, error) {
	n, err := c.ml.Join(addrs)
	if n == 0 && err != nil {
		return 0, fmt.Errorf("cluster: join %v: %w", addrs, err)
	}
	return n, nil
}

// Members returns every member gossip knows of, by id.
func (c *Cluster) Members() []Member {
	var out []Member
	for _, k := range c.allNodes() {
		m, _ := decodeMeta(k.node.Meta)
		status := "alive"
		if !k.alive {
			status = "gone"
		}
		out = append(out, Member{ID: k.node.Name, Gossip: k.node.Address(), Raft: m.Raft, S3: m.S3, Admin: m.Admin, Status: status})
	}
	slices.SortFunc(out, func(a, b Member) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}

// S3URL returns the S3 endpoint of the member with raft id id.
func (c *Cluster) S3URL(id string) (string, bool) {
	return c.lookup(id, func(m meta) string { return m.S3 })
}

// AdminURL returns the admin endpoint of the member with raft id id.
func (c *Cluster) AdminURL(id string) (string, bool) {
	return c.lookup(id, func(m meta) string { return m.Admin })
}

func (c *Cluster) lookup(id string, f func(meta) string) (string, bool) {
	if id == c.self.ID {
		c.mu.Lock()
		defer c.mu.Unlock()
		v := f(c.self)
		return v, v != ""
	}
	for _, n := range c.aliveNodes() {
		if n.Name == id {
			m, err := decodeMeta(n.Meta)
			if v := f(m); err == nil && v != "" {
				return v, true
			}
		}
	}
	return "", false
}

// Leave tells the other members this one is leaving, and stops gossip.
func (c *Cluster) Leave(timeout time.Duration) error {
	err := c.ml.Leave(timeout)
	c.Close()
	return err
}

// Close stops gossip and the background work.
func (c *Cluster) Close() error {
	select {
	case <-c.stop:
		return nil
	default:
	}
	close(c.stop)
	c.wg.Wait()
	return c.ml.Shutdown()
}

// updateSelf changes this member's metadata and tells the others.
func (c *Cluster) updateSelf(f func(*meta)) {
	c.mu.Lock()
	f(&c.self)
	c.mu.Unlock()
	if err := c.ml.UpdateNode(5 * time.Second); err != nil {
		c.log.Warn("telling the cluster about this node", "err", err)
	}
}

func decodeMeta(b []byte) (meta, error) {
	var m meta
	err := json.Unmarshal(b, &m)
	return m, err
}

type delegate struct{ c *Cluster }

func (d *delegate) NodeMeta(limit int) []byte {
	d.c.mu.Lock()
	b, _ := json.Marshal(d.c.self)
	d.c.mu.Unlock()
	if len(b) > limit {
		d.c.log.Error("node metadata too long for gossip", "bytes", len(b), "limit", limit)
		return nil
	}
	return b
}
func (d *delegate) NotifyMsg([]byte)                           {}
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *delegate) LocalState(join bool) []byte                { return nil }
func (d *delegate) MergeRemoteState(buf []byte, join bool)     {}

// events wakes the reconciler on membership changes.
type events struct{ c *Cluster }

// The events are memberlist's only safe view of its members: they are
// called under its lock, and the copies made here are ours.
// (memberlist.Members returns its own records, which it changes in place;
// their State field is not kept up to date either.)
func (e *events) NotifyJoin(n *memberlist.Node) {
	e.c.log.Info("member joined", "member", n.Name, "addr", n.Address())
	e.c.remember(n, true)
}
func (e *events) NotifyLeave(n *memberlist.Node) {
	e.c.log.Info("member left or failed", "member", n.Name)
	e.c.remember(n, false)
}
func (e *events) NotifyUpdate(n *memberlist.Node) { e.c.remember(n, true) }

// knownNode is a member as the events told of it.
type knownNode struct {
	node  memberlist.Node
	alive bool
}

func (c *Cluster) remember(n *memberlist.Node, alive bool) {
	c.mu.Lock()
	c.known[n.Name] = knownNode{*n, alive}
	c.mu.Unlock()
}

// allNodes returns every member gossip told of.
func (c *Cluster) allNodes() []knownNode {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]knownNode, 0, len(c.known))
	for _, n := range c.known {
		out = append(out, n)
	}
	return out
}

// aliveNodes returns the members alive or suspect.
func (c *Cluster) aliveNodes() []memberlist.Node {
	var out []memberlist.Node
	for _, n := range c.allNodes() {
		if n.alive {
			out = append(out, n.node)
		}
	}
	return out
}
