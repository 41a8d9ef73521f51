package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// applyMetrics time how replicated entries are applied to the local store.
type applyMetrics struct {
	applyDuration prometheus.Histogram
	applyOps      prometheus.Counter
	applyBatches  prometheus.Counter
}

func newApplyMetrics() applyMetrics {
	return applyMetrics{
		applyDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "mapstore_apply_duration_seconds",
			Help:    "Time to apply one committed raft entry to the local store.",
			Buckets: syncBuckets,
		}),
		applyOps: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mapstore_apply_ops_total",
			Help: "Store operations applied from committed raft entries.",
		}),
		applyBatches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mapstore_apply_batches_total",
			Help: "Committed raft entries applied to the local store.",
		}),
	}
}

func (a *applyMetrics) register(reg prometheus.Registerer) {
	reg.MustRegister(a.applyDuration, a.applyOps, a.applyBatches)
}

// ObserveApply counts one raft entry applied to the local store: it took
// d and carried ops store operations (an entry may batch several).
func (m *Metrics) ObserveApply(d time.Duration, ops int) {
	m.applyDuration.Observe(d.Seconds())
	m.applyBatches.Inc()
	if ops > 0 {
		m.applyOps.Add(float64(ops))
	}
}
