package metrics

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options configure New. The zero value is valid: a node with no raft
// and no storage gauges.
type Options struct {
	// Raft reports the node's raft state. It is called once per scrape
	// (so the mapstore_raft_* values of one scrape come from one call),
	// possibly from several scrapes at once: it must be safe for
	// concurrent use and must not block. Default nil: a single node, no
	// mapstore_raft_* metrics at all.
	Raft func() RaftStats
	// Storage reports what the node stores. Called once per scrape, under
	// the same rules as Raft. Default nil: no mapstore_stored_* or
	// mapstore_device_bytes metrics.
	Storage func() StorageStats
	// Logger receives errors met while serving a scrape. Default:
	// discard.
	Logger *slog.Logger
}

// Metrics holds a node's metrics in a registry of its own. Its Observe
// methods are safe for concurrent use and cost a few atomic operations.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	s3Metrics
	journalMetrics
	applyMetrics
}

// New returns Metrics with every mapstore_* collector registered, together
// with the Go runtime (go_*) and process (process_*) collectors, in a new
// registry: nothing is registered in prometheus.DefaultRegisterer, so
// several Metrics (several nodes in one test process) never collide.
func New(opts Options) *Metrics {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		reg:            prometheus.NewRegistry(),
		log:            opts.Logger,
		s3Metrics:      newS3Metrics(),
		journalMetrics: newJournalMetrics(),
		applyMetrics:   newApplyMetrics(),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.s3Metrics.register(m.reg)
	m.journalMetrics.register(m.reg)
	m.applyMetrics.register(m.reg)
	if opts.Raft != nil {
		m.reg.MustRegister(newRaftCollector(opts.Raft))
	}
	if opts.Storage != nil {
		m.reg.MustRegister(newStorageCollector(opts.Storage))
	}
	return m
}

// Registry returns the registry behind Handler, to register further
// collectors in or to gather from directly.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format (text,
// or protobuf to a scraper that asks for it). Mount it on its own path
// (conventionally /metrics) of a listener other than the S3 one: the S3
// Server takes every path as a bucket and key. If a collector fails, the
// scrape still gets every other metric and the error is logged.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(m.log.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// Histogram buckets, in seconds.
var (
	// requestBuckets span 100 µs (a HEAD answered from memory) to 30 s (a
	// large object over a slow link).
	requestBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	// syncBuckets span 50 µs (an fdatasync on NVMe or persistent memory)
	// to 5 s (a saturated disk).
	syncBuckets = []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}
)
