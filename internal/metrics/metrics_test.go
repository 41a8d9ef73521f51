package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"mapstore/internal/metrics"
	"mapstore/journal"
	"mapstore/s3api"
)

// The hooks of the other packages take a Metrics as it is.
var (
	_ s3api.Observer = (*metrics.Metrics)(nil)
	_                = journal.Options{ObserveCommit: (*metrics.Metrics)(nil).ObserveCommit}
)

// scrape fetches h over HTTP and parses the text exposition.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("scrape: %s, %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// find returns the metric of family name whose labels are exactly
// labels ("k", "v", ...), failing the test if there is none.
func find(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	t.Helper()
	mf := mfs[name]
	if mf == nil {
		t.Fatalf("no %s", name)
	}
next:
	for _, m := range mf.GetMetric() {
		if len(m.GetLabel())*2 != len(labels) {
			continue
		}
		for i, lp := range m.GetLabel() {
			if lp.GetName() != labels[2*i] || lp.GetValue() != labels[2*i+1] {
				continue next
			}
		}
		return m
	}
	t.Fatalf("no %s%v among %v", name, labels, mf.GetMetric())
	return nil
}

// gauge and counter return a metric's value.
func gauge(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	return find(t, mfs, name, labels...).GetGauge().GetValue()
}

func counter(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	return find(t, mfs, name, labels...).GetCounter().GetValue()
}

// bucket returns the cumulative count of h's bucket with upper bound le.
func bucket(t *testing.T, h *dto.Histogram, le float64) uint64 {
	t.Helper()
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == le {
			return b.GetCumulativeCount()
		}
	}
	t.Fatalf("no bucket le=%v in %v", le, h)
	return 0
}

// TestScrape observes requests, commits and applies, and checks what a
// scrape reports for them and for the raft and storage functions.
func TestScrape(t *testing.T) {
	m := metrics.New(metrics.Options{
		Raft: func() metrics.RaftStats {
			return metrics.RaftStats{State: "Leader", Term: 7, CommitIndex: 42, AppliedIndex: 41, LastContact: 0, Voters: 3, Nonvoters: 1}
		},
		Storage: func() metrics.StorageStats {
			return metrics.StorageStats{StoredBytes: 1 << 20, StoredObjects: 12, DeviceTotal: 8 << 30, DeviceUsed: 3 << 20}
		},
	})
	m.ObserveRequest("PutObject", 200, 5, 0, 2*time.Millisecond)
	m.ObserveRequest("PutObject", 200, 7, 0, 3*time.Millisecond)
	m.ObserveRequest("GetObject", 404, 0, 300, 200*time.Microsecond)
	m.ObserveRequest(s3api.OpUnknown, 403, 0, 250, 40*time.Second) // beyond the last bucket
	m.ObserveCommit(time.Millisecond, 512)
	m.ObserveCommit(3*time.Millisecond, 4608)
	m.ObserveApply(500*time.Microsecond, 3)
	m.ObserveApply(2*time.Millisecond, 1)

	mfs := scrape(t, m.Handler())
	for _, c := range []struct {
		op, code string
		want     float64
	}{{"PutObject", "200", 2}, {"GetObject", "404", 1}, {"Unknown", "403", 1}} {
		if got := counter(t, mfs, "mapstore_s3_requests_total", "code", c.code, "op", c.op); got != c.want {
			t.Errorf("requests %s %s: %v, want %v", c.op, c.code, got, c.want)
		}
	}
	if n := len(mfs["mapstore_s3_requests_total"].GetMetric()); n != 3 {
		t.Errorf("%d request series, want 3", n)
	}
	put := find(t, mfs, "mapstore_s3_request_duration_seconds", "op", "PutObject").GetHistogram()
	if put.GetSampleCount() != 2 || put.GetSampleSum() < 0.0049 || put.GetSampleSum() > 0.0051 {
		t.Errorf("PutObject duration: count %d sum %v", put.GetSampleCount(), put.GetSampleSum())
	}
	// 2 ms and 3 ms: both at or below 5 ms, neither at or below 1 ms.
	if b1, b5 := bucket(t, put, 0.001), bucket(t, put, 0.005); b1 != 0 || b5 != 2 {
		t.Errorf("PutObject buckets: %d at 1 ms, %d at 5 ms", b1, b5)
	}
	slow := find(t, mfs, "mapstore_s3_request_duration_seconds", "op", "Unknown").GetHistogram()
	if bucket(t, slow, 0.0001) != 0 || bucket(t, slow, 30) != 0 || slow.GetSampleCount() != 1 {
		t.Errorf("40 s request: %v", slow)
	}
	if got := counter(t, mfs, "mapstore_s3_received_bytes_total"); got != 12 {
		t.Errorf("received %v bytes, want 12", got)
	}
	if got := counter(t, mfs, "mapstore_s3_sent_bytes_total"); got != 550 {
		t.Errorf("sent %v bytes, want 550", got)
	}

	if h := find(t, mfs, "mapstore_journal_commit_duration_seconds").GetHistogram(); h.GetSampleCount() != 2 {
		t.Errorf("%d commits, want 2", h.GetSampleCount())
	}
	if got := counter(t, mfs, "mapstore_journal_commit_bytes_total"); got != 5120 {
		t.Errorf("commit bytes %v, want 5120", got)
	}
	if h := find(t, mfs, "mapstore_apply_duration_seconds").GetHistogram(); h.GetSampleCount() != 2 {
		t.Errorf("%d applies, want 2", h.GetSampleCount())
	}
	if got := counter(t, mfs, "mapstore_apply_ops_total"); got != 4 {
		t.Errorf("apply ops %v, want 4", got)
	}
	if got := counter(t, mfs, "mapstore_apply_batches_total"); got != 2 {
		t.Errorf("apply batches %v, want 2", got)
	}

	for st, want := range map[string]float64{"follower": 0, "candidate": 0, "leader": 1, "shutdown": 0} {
		if got := gauge(t, mfs, "mapstore_raft_state", "state", st); got != want {
			t.Errorf("raft state %s: %v, want %v", st, got, want)
		}
	}
	for name, want := range map[string]float64{
		"mapstore_raft_term":                 7,
		"mapstore_raft_commit_index":         42,
		"mapstore_raft_applied_index":        41,
		"mapstore_raft_last_contact_seconds": 0,
		"mapstore_stored_bytes":              1 << 20,
		"mapstore_stored_objects":            12,
	} {
		if got := gauge(t, mfs, name); got != want {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	if v, n := gauge(t, mfs, "mapstore_raft_peers", "suffrage", "voter"), gauge(t, mfs, "mapstore_raft_peers", "suffrage", "nonvoter"); v != 3 || n != 1 {
		t.Errorf("peers: %v voters, %v nonvoters", v, n)
	}
	if tot, used := gauge(t, mfs, "mapstore_device_bytes", "kind", "total"), gauge(t, mfs, "mapstore_device_bytes", "kind", "used"); tot != 8<<30 || used != 3<<20 {
		t.Errorf("device: %v total, %v used", tot, used)
	}
	if mfs["go_goroutines"] == nil || (runtime.GOOS == "linux" && mfs["process_start_time_seconds"] == nil) {
		t.Error("no Go runtime or process metrics")
	}
}

// TestSingleNode: without Raft and Storage functions nothing of either is
// exported, and the gauges follow the functions from scrape to scrape.
func TestSingleNode(t *testing.T) {
	mfs := scrape(t, metrics.New(metrics.Options{}).Handler())
	for name := range mfs {
		if strings.HasPrefix(name, "mapstore_raft_") || strings.HasPrefix(name, "mapstore_stored_") || strings.HasPrefix(name, "mapstore_device_") {
			t.Errorf("%s exported without a function", name)
		}
	}
	if counter(t, mfs, "mapstore_apply_batches_total") != 0 {
		t.Error("apply batches not 0")
	}

	stats := metrics.RaftStats{State: metrics.StateFollower, LastContact: -1}
	m := metrics.New(metrics.Options{Raft: func() metrics.RaftStats { return stats }})
	mfs = scrape(t, m.Handler())
	if gauge(t, mfs, "mapstore_raft_state", "state", "follower") != 1 || mfs["mapstore_raft_last_contact_seconds"] != nil {
		t.Errorf("follower that never heard from a leader: %v", mfs["mapstore_raft_state"])
	}
	stats = metrics.RaftStats{State: metrics.StateCandidate, Term: 2, LastContact: 1500 * time.Millisecond}
	mfs = scrape(t, m.Handler())
	if gauge(t, mfs, "mapstore_raft_state", "state", "candidate") != 1 || gauge(t, mfs, "mapstore_raft_state", "state", "follower") != 0 ||
		gauge(t, mfs, "mapstore_raft_last_contact_seconds") != 1.5 || gauge(t, mfs, "mapstore_raft_term") != 2 {
		t.Errorf("candidate: %v", mfs)
	}
}
