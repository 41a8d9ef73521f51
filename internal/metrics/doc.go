// Package metrics exports a node's metrics to Prometheus.
//
// The packages that do the work know nothing of Prometheus. Each offers a
// hook that costs nothing when unset, and a Metrics is plugged into all of
// them:
//
//	m := metrics.New(metrics.Options{
//		Raft:    func() metrics.RaftStats { ... },    // nil on a single node
//		Storage: func() metrics.StorageStats { ... },
//		Logger:  logger,
//	})
//	volOpts.Journal.ObserveCommit = m.ObserveCommit       // volume.Options.Journal
//	srv, err := s3api.New(s3api.Options{..., Observer: m})
//	// the replication layer calls m.ObserveApply(d, ops) per raft entry applied
//	mux.Handle("GET /metrics", m.Handler())               // on a listener of its own
//
// Counters and histograms are updated as things happen; the raft and
// storage gauges are read from the Options functions when a scrape
// arrives, so they cost nothing between scrapes and one scrape's values
// come from one call. Every Metrics has its own registry, never the
// global one.
//
// # Naming
//
// Names follow the Prometheus conventions: mapstore_<subsystem>_<what>,
// in base units with the unit as suffix (_seconds, _bytes), counters
// ending in _total. Labels take few values (operations, status codes,
// states), never bucket names, keys or request ids, which would make a
// series per object. Rates and averages are left to queries:
//
//	rate(mapstore_s3_requests_total{code=~"5.."}[5m])                 errors per second
//	histogram_quantile(0.99, rate(mapstore_s3_request_duration_seconds_bucket{op="GetObject"}[5m]))
//	rate(mapstore_journal_commit_duration_seconds_count[5m])          commits per second
//	mapstore_raft_commit_index - mapstore_raft_applied_index           apply backlog
//
// # S3 requests
//
// Counted by ObserveRequest (s3api.Observer) when a request finishes.
//
//	mapstore_s3_requests_total{op,code}           counter    requests finished
//	mapstore_s3_request_duration_seconds{op}      histogram  arrival to response written, 100 µs to 30 s buckets
//	mapstore_s3_received_bytes_total              counter    request body bytes read (after aws-chunked decoding)
//	mapstore_s3_sent_bytes_total                  counter    response body bytes written
//
// op is the S3 operation as the AWS API names it (PutObject, GetObject,
// ListObjectsV2, CompleteMultipartUpload, ...), or "Unknown" for a request
// refused before its operation was known (unsigned, bad signature, bad
// bucket name, unsupported subresource). code is the HTTP status sent:
// "200", "206", "304", "404", "503", ...
//
// # Journal
//
// Counted by ObserveCommit (journal.Options.ObserveCommit) for every
// commit that made a record durable.
//
//	mapstore_journal_commit_duration_seconds      histogram  start of Commit until its record is synced, 50 µs to 5 s buckets
//	mapstore_journal_commit_bytes_total           counter    record bytes made durable, padded to 512-byte sectors
//
// With group commit several commits share one fdatasync, so the number
// of commits (the histogram's _count) can exceed the number of syncs.
//
// # Apply
//
// Counted by ObserveApply, which the replication layer calls for each
// committed raft entry it applies to the local store.
//
//	mapstore_apply_duration_seconds               histogram  time to apply one entry, 50 µs to 5 s buckets
//	mapstore_apply_batches_total                  counter    entries applied
//	mapstore_apply_ops_total                      counter    store operations they carried
//
// # Raft
//
// Read from Options.Raft at each scrape; absent when it is nil.
//
//	mapstore_raft_state{state}                    gauge      1 for the current state, 0 for the others
//	mapstore_raft_term                            gauge      current term
//	mapstore_raft_commit_index                    gauge      highest index known committed
//	mapstore_raft_applied_index                   gauge      highest index applied to the store
//	mapstore_raft_last_contact_seconds            gauge      since the leader was last heard from; 0 on the leader
//	mapstore_raft_peers{suffrage}                 gauge      servers in the configuration, this node included
//
// state is always all of "follower", "candidate", "leader" and "shutdown",
// so sum(mapstore_raft_state{state="leader"}) over a cluster is its number
// of leaders, 1 when healthy. suffrage is "voter" or "nonvoter".
// mapstore_raft_last_contact_seconds is left out while a node has never
// heard from a leader.
//
// # Storage
//
// Read from Options.Storage at each scrape; absent when it is nil.
//
//	mapstore_stored_bytes                         gauge      sum of the sizes of the objects stored
//	mapstore_stored_objects                       gauge      objects stored
//	mapstore_device_bytes{kind}                   gauge      the device's capacity (kind="total") and allocated bytes (kind="used")
//
// # Runtime
//
// The standard Go runtime (go_*: goroutines, heap, GC pauses) and process
// (process_*: CPU seconds, resident memory, open file descriptors, start
// time) collectors of client_golang are registered too.
package metrics
