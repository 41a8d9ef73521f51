package metrics

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Raft states, the values of the state label of mapstore_raft_state.
const (
	StateFollower  = "follower"
	StateCandidate = "candidate"
	StateLeader    = "leader"
	StateShutdown  = "shutdown"
)

// raftStates lists every state, so that each scrape exports all four
// series: 1 for the current one, 0 for the others. (A series that only
// exists while its state holds would make "how long was there no leader"
// unanswerable: absent is not 0 to a query.)
var raftStates = []string{StateFollower, StateCandidate, StateLeader, StateShutdown}

// RaftStats is what Options.Raft reports about the node's raft instance at
// one moment. It is a plain struct so that this package does not depend on
// a raft library: the replication layer fills it in from its own.
type RaftStats struct {
	// State is one of StateFollower, StateCandidate, StateLeader and
	// StateShutdown, compared without regard to case, so the String of
	// hashicorp/raft's RaftState ("Leader") can be used as it is.
	State string
	// Term is the current term.
	Term uint64
	// CommitIndex is the highest log index known to be committed.
	CommitIndex uint64
	// AppliedIndex is the highest log index applied to the local store.
	AppliedIndex uint64
	// LastContact is how long ago a follower last heard from the leader:
	// 0 on the leader, negative if the node never heard from one (the
	// gauge is then left out of the scrape).
	LastContact time.Duration
	// Voters and Nonvoters count the servers of the raft configuration by
	// suffrage, this node included.
	Voters, Nonvoters int
}

// raftCollector exports a RaftStats taken at scrape time.
type raftCollector struct {
	stats                                            func() RaftStats
	state, term, commit, applied, lastContact, peers *prometheus.Desc
}

func newRaftCollector(stats func() RaftStats) *raftCollector {
	return &raftCollector{
		stats: stats,
		state: prometheus.NewDesc("mapstore_raft_state",
			"1 for the raft state the node is in, 0 for the others.", []string{"state"}, nil),
		term: prometheus.NewDesc("mapstore_raft_term",
			"Current raft term.", nil, nil),
		commit: prometheus.NewDesc("mapstore_raft_commit_index",
			"Highest raft log index known to be committed.", nil, nil),
		applied: prometheus.NewDesc("mapstore_raft_applied_index",
			"Highest raft log index applied to the local store.", nil, nil),
		lastContact: prometheus.NewDesc("mapstore_raft_last_contact_seconds",
			"Time since this node last heard from the leader (0 on the leader).", nil, nil),
		peers: prometheus.NewDesc("mapstore_raft_peers",
			"Servers in the raft configuration, this node included, by suffrage.", []string{"suffrage"}, nil),
	}
}

func (c *raftCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.state, c.term, c.commit, c.applied, c.lastContact, c.peers} {
		ch <- d
	}
}

func (c *raftCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	for _, st := range raftStates {
		v := 0.0
		if strings.EqualFold(s.State, st) {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, st)
	}
	ch <- prometheus.MustNewConstMetric(c.term, prometheus.GaugeValue, float64(s.Term))
	ch <- prometheus.MustNewConstMetric(c.commit, prometheus.GaugeValue, float64(s.CommitIndex))
	ch <- prometheus.MustNewConstMetric(c.applied, prometheus.GaugeValue, float64(s.AppliedIndex))
	if s.LastContact >= 0 {
		ch <- prometheus.MustNewConstMetric(c.lastContact, prometheus.GaugeValue, s.LastContact.Seconds())
	}
	ch <- prometheus.MustNewConstMetric(c.peers, prometheus.GaugeValue, float64(s.Voters), "voter")
	ch <- prometheus.MustNewConstMetric(c.peers, prometheus.GaugeValue, float64(s.Nonvoters), "nonvoter")
}
