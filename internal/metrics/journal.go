package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// journalMetrics time the journal's durable commits.
type journalMetrics struct {
	commitDuration prometheus.Histogram
	commitBytes    prometheus.Counter
}

func newJournalMetrics() journalMetrics {
	return journalMetrics{
		commitDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "mapstore_journal_commit_duration_seconds",
			Help:    "Time from the start of a journal commit until its record was synced.",
			Buckets: syncBuckets,
		}),
		commitBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mapstore_journal_commit_bytes_total",
			Help: "Bytes of journal records made durable (padded to 512-byte sectors).",
		}),
	}
}

func (j *journalMetrics) register(reg prometheus.Registerer) {
	reg.MustRegister(j.commitDuration, j.commitBytes)
}

// ObserveCommit counts one durable journal commit that took d and wrote a
// record of bytes bytes. Its signature is that of
// journal.Options.ObserveCommit:
//
//	opts.Journal.ObserveCommit = m.ObserveCommit
func (m *Metrics) ObserveCommit(d time.Duration, bytes int) {
	m.commitDuration.Observe(d.Seconds())
	if bytes > 0 {
		m.commitBytes.Add(float64(bytes))
	}
}
