// Package cluster is mapstore's membership: how nodes find each other,
// form a raft cluster, and keep its configuration in step with who is
// there.
//
// # Gossip
//
// Every node runs hashicorp/memberlist (SWIM gossip over UDP and TCP,
// default port 7946). A node joins by contacting any member (--join);
// from then on everyone learns of everyone, and of failures, within
// seconds. Each member gossips its metadata, as JSON of at most 512
// bytes:
//
//	{"id":"n1","raft":"10.0.0.1:7000","s3":"http://10.0.0.1:9000",
//	 "admin":"http://10.0.0.1:9001","expect":3,"state":true}
//
// id is the node's raft server id (stable across restarts and address
// changes), raft and s3 where its raft and S3 endpoints are (followers
// forward S3 requests to the leader's s3), expect its --bootstrap-expect,
// and state whether it has raft state (was bootstrapped or added).
//
// # Bootstrap
//
// A new cluster is started by starting N nodes with --bootstrap-expect N
// that can reach each other. Once a node sees N alive members, all new
// and all expecting N, it bootstraps raft with exactly those N, sorted by
// id: each of them computes the same configuration, so they agree, in
// whatever order they started. Bootstrapping writes the configuration to
// the node's raft log before anything else, so a node restarted during
// bootstrap has state and never bootstraps again. A node that sees a
// member with state does not bootstrap: it waits to be added.
//
// # Reconciliation
//
// The leader, every couple of seconds, makes raft's configuration follow
// gossip (reconcile.go): alive members become voters up to --voters (5),
// the rest non-voters, promoted when a voter goes; a member back under a
// new address gets its new address; a server out of gossip for longer
// than the grace period is removed, only if the voters left alive are a
// quorum of the configuration without it.
package cluster
