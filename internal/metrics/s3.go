package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// s3Metrics count and time S3 requests.
type s3Metrics struct {
	s3Requests *prometheus.CounterVec
	s3Duration *prometheus.HistogramVec
	s3Received prometheus.Counter
	s3Sent     prometheus.Counter
}

func newS3Metrics() s3Metrics {
	return s3Metrics{
		s3Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mapstore_s3_requests_total",
			Help: "S3 requests finished, by operation and HTTP status code.",
		}, []string{"op", "code"}),
		s3Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mapstore_s3_request_duration_seconds",
			Help:    "Time from the arrival of an S3 request until its response was written, by operation.",
			Buckets: requestBuckets,
		}, []string{"op"}),
		s3Received: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mapstore_s3_received_bytes_total",
			Help: "Request body bytes read by the S3 server (after aws-chunked decoding).",
		}),
		s3Sent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mapstore_s3_sent_bytes_total",
			Help: "Response body bytes written by the S3 server.",
		}),
	}
}

func (s *s3Metrics) register(reg prometheus.Registerer) {
	reg.MustRegister(s.s3Requests, s.s3Duration, s.s3Received, s.s3Sent)
}

// ObserveRequest counts one finished S3 request: its operation, the HTTP
// status sent, the body bytes read and written and its duration. It
// implements s3api.Observer, so a Metrics can be s3api.Options.Observer.
func (m *Metrics) ObserveRequest(op string, status int, in, out int64, d time.Duration) {
	m.s3Requests.WithLabelValues(op, strconv.Itoa(status)).Inc()
	m.s3Duration.WithLabelValues(op).Observe(d.Seconds())
	if in > 0 {
		m.s3Received.Add(float64(in))
	}
	if out > 0 {
		m.s3Sent.Add(float64(out))
	}
}
