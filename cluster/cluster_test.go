package cluster

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/raft"

	"mapstore/localstore"
	"mapstore/replication"
)

// A member for tests: a raft node on a loopback TCP port and gossip on
// another, in a directory that survives its restarts.
type member struct {
	t   *testing.T
	id  string
	dir string
	// raftAddr and gossipAddr are kept across restarts, unless the test
	// moves them.
	raftAddr, gossipAddr string
	node                 *replication.Node
	c                    *Cluster
}

// newMember makes a member with free loopback ports.
func newMember(t *testing.T, dir, id string) *member {
	return &member{t: t, id: id, dir: filepath.Join(dir, id), raftAddr: freeAddr(t), gossipAddr: freeAddr(t)}
}

// freeAddr returns a loopback address whose port is free for TCP and UDP.
func freeAddr(t *testing.T) string {
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		u, err := net.ListenPacket("udp", addr)
		l.Close()
		if err == nil {
			u.Close()
			return addr
		}
	}
}

func fastGossip(cfg *memberlist.Config) {
	cfg.ProbeInterval = 200 * time.Millisecond
	cfg.ProbeTimeout = 100 * time.Millisecond
	cfg.GossipInterval = 50 * time.Millisecond
	cfg.SuspicionMult = 2
	cfg.PushPullInterval = time.Second
	cfg.TCPTimeout = time.Second
	cfg.DeadNodeReclaimTime = time.Second
}

func testLogger(id string) *slog.Logger {
	if os.Getenv("MAPSTORE_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("node", id)
}

// start starts the member: join lists gossip addresses.
func (m *member) start(join []string, expect, voters int) {
	m.t.Helper()
	n, err := replication.Open(replication.Options{
		ID: m.id, Dir: m.dir, RaftBind: m.raftAddr,
		Store:            localstore.Options{Capacity: 64 << 20, JournalSize: 2 << 20},
		Logger:           testLogger(m.id),
		HeartbeatTimeout: 200 * time.Millisecond, ElectionTimeout: 200 * time.Millisecond,
		LeaderLeaseTimeout: 100 * time.Millisecond,
	})
	if err != nil {
		m.t.Fatal(err)
	}
	c, err := Start(Options{
		Node: n, Bind: m.gossipAddr, Join: join, BootstrapExpect: expect, Voters: voters,
		DeadGrace: time.Second, ReconcileInterval: 200 * time.Millisecond,
		S3URL: "http://" + m.id, Logger: testLogger(m.id), Memberlist: fastGossip,
	})
	if err != nil {
		n.Close()
		m.t.Fatal(err)
	}
	m.node, m.c = n, c
}

func (m *member) stop() {
	m.c.Leave(time.Second)
	if err := m.node.Close(); err != nil {
		m.t.Errorf("closing %s: %v", m.id, err)
	}
	m.node, m.c = nil, nil
}

// kill stops the member without a word to the others.
func (m *member) kill() {
	m.c.Close()
	m.node.Close()
	m.node, m.c = nil, nil
}

func waitFor(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v: %v", what, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// configuration returns the leader's raft configuration among ms.
func configuration(ms []*member) (map[string]raft.Server, error) {
	for _, m := range ms {
		if m.node != nil && m.node.Ready() {
			f := m.node.Raft().GetConfiguration()
			if err := f.Error(); err != nil {
				return nil, err
			}
			out := map[string]raft.Server{}
			for _, s := range f.Configuration().Servers {
				out[string(s.ID)] = s
			}
			return out, nil
		}
	}
	return nil, fmt.Errorf("no leader")
}

// TestBootstrapInAnyOrder starts three members with bootstrap-expect 3 in
// a random order, each joining only the first one started, several
// times over: they always form one cluster of three voters, with one
// leader, and restarting members during and after bootstrap never makes
// a second cluster.
func TestBootstrapInAnyOrder(t *testing.T) {
	for round := range 3 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			dir := t.TempDir()
			var ms []*member
			for i := range 3 {
				ms = append(ms, newMember(t, dir, fmt.Sprintf("n%d", i+1)))
			}
			rand.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
			ms[0].start(nil, 3, 5)
			seed := []string{ms[0].c.GossipAddr()}
			var wg sync.WaitGroup
			for _, m := range ms[1:] {
				wg.Add(1)
				go func() {
					defer wg.Done()
					time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
					m.start(seed, 3, 5)
				}()
			}
			wg.Wait()
			defer func() {
				for _, m := range ms {
					if m.node != nil {
						m.kill()
					}
				}
			}()
			// One restarts right away, during or just after bootstrap.
			if round%2 == 1 {
				ms[2].kill()
				ms[2].start([]string{ms[0].c.GossipAddr()}, 3, 5)
			}
			waitFor(t, 20*time.Second, "a cluster of three voters", func() error {
				cfg, err := configuration(ms)
				if err != nil {
					return err
				}
				if len(cfg) != 3 {
					return fmt.Errorf("configuration %v", cfg)
				}
				for _, s := range cfg {
					if s.Suffrage != raft.Voter {
						return fmt.Errorf("configuration %v", cfg)
					}
				}
				leaders := 0
				for _, m := range ms {
					if m.node.Raft().State() == raft.Leader {
						leaders++
					}
				}
				if leaders != 1 {
					return fmt.Errorf("%d leaders", leaders)
				}
				return nil
			})
			// A full restart keeps the one cluster.
			for _, m := range ms {
				m.kill()
			}
			for _, m := range ms {
				m.start([]string{ms[0].gossipAddr}, 3, 5)
			}
			waitFor(t, 20*time.Second, "the same cluster after a full restart", func() error {
				cfg, err := configuration(ms)
				if err != nil {
					return err
				}
				if len(cfg) != 3 {
					return fmt.Errorf("configuration %v", cfg)
				}
				return nil
			})
		})
	}
}

// TestReconcile adds a member beyond the voter limit (a non-voter), kills
// a voter (removed after the grace period; the non-voter promoted), and
// restarts a member on a new raft address (its address updated).
func TestReconcile(t *testing.T) {
	dir := t.TempDir()
	var ms []*member
	for i := range 4 {
		ms = append(ms, newMember(t, dir, fmt.Sprintf("n%d", i+1)))
	}
	defer func() {
		for _, m := range ms {
			if m.node != nil {
				m.kill()
			}
		}
	}()
	ms[0].start(nil, 3, 3)
	seed := []string{ms[0].c.GossipAddr()}
	ms[1].start(seed, 3, 3)
	ms[2].start(seed, 3, 3)
	waitFor(t, 20*time.Second, "three voters", func() error {
		cfg, err := configuration(ms[:3])
		if err == nil && len(cfg) != 3 {
			err = fmt.Errorf("configuration %v", cfg)
		}
		return err
	})
	ms[3].start(seed, 0, 3)
	waitFor(t, 20*time.Second, "n4 a non-voter", func() error {
		cfg, err := configuration(ms)
		if err == nil && cfg["n4"].Suffrage != raft.Nonvoter {
			err = fmt.Errorf("configuration %v", cfg)
		}
		if err == nil && cfg["n4"].Address == "" {
			err = fmt.Errorf("configuration %v", cfg)
		}
		return err
	})
	// Kill a voter that is not the leader.
	var victim *member
	for _, m := range ms[:3] {
		if m.node.Raft().State() != raft.Leader {
			victim = m
			break
		}
	}
	victim.kill()
	waitFor(t, 30*time.Second, "the dead voter removed and n4 promoted", func() error {
		cfg, err := configuration(ms)
		if err != nil {
			return err
		}
		if _, ok := cfg[victim.id]; ok || cfg["n4"].Suffrage != raft.Voter || len(cfg) != 3 {
			return fmt.Errorf("configuration %v", cfg)
		}
		return nil
	})
	// Restart a follower: its raft port changes (port 0), and the leader
	// updates its address.
	var f *member
	for _, m := range ms {
		if m.node != nil && m.node.Raft().State() != raft.Leader {
			f = m
			break
		}
	}
	old := f.node.RaftAddr()
	f.kill()
	f.raftAddr = freeAddr(t)
	f.start([]string{ms[3].gossipAddr, ms[0].gossipAddr, ms[1].gossipAddr}, 0, 3)
	waitFor(t, 30*time.Second, "the restarted member's new address", func() error {
		cfg, err := configuration(ms)
		if err != nil {
			return err
		}
		if s := cfg[f.id]; string(s.Address) != f.node.RaftAddr() || s.Suffrage != raft.Voter {
			return fmt.Errorf("configuration %v, %s now at %s (was %s)", cfg, f.id, f.node.RaftAddr(), old)
		}
		return nil
	})
}
