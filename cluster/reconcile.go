package cluster

import (
	"slices"
	"time"

	"github.com/hashicorp/raft"
)

// run bootstraps the cluster if this node is one of its first members,
// then, whenever this node leads, keeps raft's configuration in step
// with gossip.
func (c *Cluster) run() {
	t := time.NewTicker(c.opts.ReconcileInterval)
	defer t.Stop()
	for {
		c.maybeBootstrap()
		if c.opts.Node.Ready() {
			c.reconcile()
		}
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
	}
}

// maybeBootstrap bootstraps raft with the first BootstrapExpect members
// once they are all alive in gossip, all new (no raft state), and all
// expecting the same count. Each of them decides the same: the members
// with the smallest ids, in the same order. A node that has raft state
// never bootstraps again: BootstrapCluster wrote the configuration to its
// log, so a restart during bootstrap cannot do it twice. A member that
// sees another one with state waits to be added by that cluster's leader.
func (c *Cluster) maybeBootstrap() {
	c.mu.Lock()
	self := c.self
	c.mu.Unlock()
	if self.HasState || c.opts.BootstrapExpect == 0 {
		if !self.HasState {
			c.noteState()
		}
		return
	}
	if c.noteState() {
		return
	}
	var candidates []meta
	for _, n := range c.aliveNodes() {
		m, err := decodeMeta(n.Meta)
		if err != nil || m.ID == "" {
			continue
		}
		if m.HasState {
			return // a cluster exists: its leader adds this node
		}
		if m.Expect != c.opts.BootstrapExpect {
			if m.Expect != 0 {
				c.log.Warn("a member expects another cluster size; not bootstrapping", "member", m.ID,
					"its_bootstrap_expect", m.Expect, "ours", c.opts.BootstrapExpect)
			}
			continue
		}
		candidates = append(candidates, m)
	}
	if len(candidates) < c.opts.BootstrapExpect {
		return
	}
	if len(candidates) > c.opts.BootstrapExpect {
		c.log.Error("more members expect to bootstrap than bootstrap-expect says; not bootstrapping",
			"members", len(candidates), "bootstrap_expect", c.opts.BootstrapExpect)
		return
	}
	slices.SortFunc(candidates, func(a, b meta) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	var servers []raft.Server
	for _, m := range candidates {
		servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(m.ID), Address: raft.ServerAddress(m.Raft)})
	}
	c.log.Info("bootstrapping the cluster", "servers", servers)
	if err := c.opts.Node.Bootstrap(servers); err != nil {
		c.log.Warn("bootstrap", "err", err)
	}
	c.noteState()
}

// noteState tells the others once this node has raft state, and reports
// whether it has.
func (c *Cluster) noteState() bool {
	has, err := c.opts.Node.HasState()
	if err != nil || !has {
		return false
	}
	c.mu.Lock()
	changed := !c.self.HasState
	c.mu.Unlock()
	if changed {
		c.updateSelf(func(m *meta) { m.HasState = true })
	}
	return true
}

// reconcile makes raft's configuration follow gossip, on the leader:
//
//   - an alive member not in the configuration is added: as a voter while
//     there are fewer than Voters, else as a non-voter;
//   - a member in the configuration under another address (it restarted
//     elsewhere) gets its new address;
//   - a non-voter is promoted when voters are missing;
//   - a server missing from gossip for DeadGrace is removed, but only if
//     the voters still alive are a quorum of the configuration without it
//     (Consul's autopilot rule: removing it must not cost availability).
func (c *Cluster) reconcile() {
	r := c.opts.Node.Raft()
	f := r.GetConfiguration()
	if f.Error() != nil {
		return
	}
	servers := f.Configuration().Servers
	alive := map[string]meta{}
	for _, n := range c.aliveNodes() {
		if m, err := decodeMeta(n.Meta); err == nil && m.ID != "" && m.Raft != "" {
			alive[m.ID] = m
		}
	}
	voters, aliveVoters := 0, 0
	inConfig := map[string]raft.Server{}
	for _, s := range servers {
		inConfig[string(s.ID)] = s
		if s.Suffrage == raft.Voter {
			voters++
			if _, ok := alive[string(s.ID)]; ok {
				aliveVoters++
			}
		}
	}
	now := time.Now()
	self := c.opts.Node.ID()
	for id, m := range alive {
		delete(c.down, id)
		s, ok := inConfig[id]
		switch {
		case !ok && voters < c.opts.Voters, ok && s.Suffrage == raft.Voter && string(s.Address) != m.Raft:
			c.log.Info("adding a voter", "member", id, "raft_addr", m.Raft, "was", string(s.Address))
			if err := r.AddVoter(raft.ServerID(id), raft.ServerAddress(m.Raft), 0, 10*time.Second).Error(); err != nil {
				c.log.Warn("adding a voter", "member", id, "err", err)
				return
			}
			if !ok {
				voters++
			}
		case !ok:
			c.log.Info("adding a non-voter", "member", id, "raft_addr", m.Raft)
			if err := r.AddNonvoter(raft.ServerID(id), raft.ServerAddress(m.Raft), 0, 10*time.Second).Error(); err != nil {
				c.log.Warn("adding a non-voter", "member", id, "err", err)
				return
			}
		case s.Suffrage == raft.Nonvoter && voters < c.opts.Voters:
			c.log.Info("promoting a non-voter", "member", id)
			if err := r.AddVoter(raft.ServerID(id), raft.ServerAddress(m.Raft), 0, 10*time.Second).Error(); err != nil {
				c.log.Warn("promoting a non-voter", "member", id, "err", err)
				return
			}
			voters++
		case s.Suffrage == raft.Nonvoter && string(s.Address) != m.Raft:
			if err := r.AddNonvoter(raft.ServerID(id), raft.ServerAddress(m.Raft), 0, 10*time.Second).Error(); err != nil {
				c.log.Warn("updating a non-voter's address", "member", id, "err", err)
				return
			}
		}
	}
	for _, s := range servers {
		id := string(s.ID)
		if _, ok := alive[id]; ok || id == self {
			continue
		}
		since, seen := c.down[id]
		if !seen {
			c.down[id] = now
			continue
		}
		if now.Sub(since) < c.opts.DeadGrace {
			continue
		}
		if s.Suffrage == raft.Voter {
			after := voters - 1
			if aliveVoters < after/2+1 {
				c.log.Warn("a dead server stays: removing it would leave too few voters alive for a quorum",
					"member", id, "voters", voters, "alive_voters", aliveVoters)
				continue
			}
		}
		c.log.Warn("removing a server gone longer than the grace period", "member", id, "gone_for", now.Sub(since).Round(time.Second))
		if err := r.RemoveServer(s.ID, 0, 10*time.Second).Error(); err != nil {
			c.log.Warn("removing a dead server", "member", id, "err", err)
			return
		}
		delete(c.down, id)
		if s.Suffrage == raft.Voter {
			voters--
		}
	}
}
