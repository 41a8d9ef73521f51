package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mapstore/internal/s3client"
)

// opKind is the kind of one benchmark operation.
type opKind int

const (
	kindPut opKind = iota
	kindGet
	numKinds
)

func (k opKind) String() string {
	if k == kindGet {
		return benchGet
	}
	return benchPut
}

// benchStats is what a run has counted so far. Every client records
// into it at once: counters are atomic, latencies go to one latencyHist
// per kind, and only failures take a lock.
type benchStats struct {
	kinds [numKinds]kindStats

	mu     sync.Mutex
	errors map[string]*errorClass // by errorKey
}

// kindStats counts the operations of one kind. Only those that succeeded
// count in ops, bytes and lat.
type kindStats struct {
	ops, errors, bytes atomic.Int64
	lat                latencyHist
}

// errorClass is one kind of failure: how often, and its first message.
type errorClass struct {
	count  int64
	sample string
}

func newBenchStats() *benchStats {
	return &benchStats{errors: make(map[string]*errorClass)}
}

// record counts one operation of kind k that took d and moved n bytes of
// object data, or failed with err.
func (s *benchStats) record(k opKind, d time.Duration, n int64, err error) {
	ks := &s.kinds[k]
	if err == nil {
		ks.lat.Record(d)
		ks.bytes.Add(n)
		ks.ops.Add(1)
		return
	}
	ks.errors.Add(1)
	key := errorKey(err)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.errors[key]
	if c == nil {
		c = &errorClass{sample: err.Error()}
		s.errors[key] = c
	}
	c.count++
}

// totals sums the counters over the kinds.
func (s *benchStats) totals() (ops, errs, bytes int64) {
	for i := range s.kinds {
		ops += s.kinds[i].ops.Load()
		errs += s.kinds[i].errors.Load()
		bytes += s.kinds[i].bytes.Load()
	}
	return ops, errs, bytes
}

// errShortBody is the failure of a GET whose body was not of the size
// asked for.
var errShortBody = errors.New("body of the wrong size")

// errorKey names the class of a failure for the summary: "404 NoSuchKey"
// for an S3 answer, else the innermost error ("connection refused"),
// which leaves out the details that differ between requests.
func errorKey(err error) string {
	var rerr *s3client.ResponseError
	switch {
	case errors.As(err, &rerr):
		return fmt.Sprintf("%d %s", rerr.StatusCode, rerr.Code)
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(err) {
		err = u
	}
	return err.Error()
}

// benchSummary is the result of a run, as --json prints it. The totals
// are embedded; Kinds has them per kind of operation.
type benchSummary struct {
	Op          string   `json:"op"`
	Size        int64    `json:"size"`
	Concurrency int      `json:"concurrency"`
	Keys        int64    `json:"keys"`
	Endpoints   []string `json:"endpoints"`
	Bucket      string   `json:"bucket"`
	Seconds     float64  `json:"seconds"`
	opSummary
	ErrorCounts map[string]int64     `json:"error_counts"`
	Kinds       map[string]opSummary `json:"kinds"`

	samples map[string]string // a message of each error class
}

// opSummary describes the operations of one kind, or all of them.
type opSummary struct {
	Ops       int64          `json:"ops"` // succeeded
	Errors    int64          `json:"errors"`
	Bytes     int64          `json:"bytes"` // of object data, in succeeded operations
	OpsPerSec float64        `json:"ops_per_sec"`
	MBPerSec  float64        `json:"mb_per_sec"` // 10^6 bytes
	Latency   latencySummary `json:"latency_ms"`
}

// latencySummary is a latency distribution in milliseconds.
type latencySummary struct {
	Mean float64 `json:"mean"`
	Min  float64 `json:"min"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// summarize turns the stats of a run that took elapsed into its summary.
// The run must be over: no client records any more.
func summarize(cfg benchConfig, s *benchStats, elapsed time.Duration) *benchSummary {
	sum := &benchSummary{
		Op:          cfg.op,
		Size:        cfg.size,
		Concurrency: cfg.concurrency,
		Keys:        cfg.keys,
		Endpoints:   cfg.endpoints,
		Bucket:      cfg.bucket,
		Seconds:     elapsed.Seconds(),
		ErrorCounts: make(map[string]int64),
		Kinds:       make(map[string]opSummary),
		samples:     make(map[string]string),
	}
	all := new(latencyHist)
	for k := range numKinds {
		ks := &s.kinds[k]
		if cfg.op != benchMixed && cfg.op != k.String() {
			continue
		}
		sum.Kinds[k.String()] = opSummaryOf(ks.ops.Load(), ks.errors.Load(), ks.bytes.Load(), &ks.lat, elapsed)
		all.Merge(&ks.lat)
	}
	ops, errs, bytes := s.totals()
	sum.opSummary = opSummaryOf(ops, errs, bytes, all, elapsed)
	for key, c := range s.errors {
		sum.ErrorCounts[key] = c.count
		sum.samples[key] = c.sample
	}
	return sum
}

func opSummaryOf(ops, errs, bytes int64, h *latencyHist, elapsed time.Duration) opSummary {
	o := opSummary{Ops: ops, Errors: errs, Bytes: bytes}
	if sec := elapsed.Seconds(); sec > 0 {
		o.OpsPerSec = float64(ops) / sec
		o.MBPerSec = float64(bytes) / 1e6 / sec
	}
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	o.Latency = latencySummary{
		Mean: ms(h.Mean()),
		Min:  ms(h.Min()),
		P50:  ms(h.Quantile(0.5)),
		P90:  ms(h.Quantile(0.9)),
		P99:  ms(h.Quantile(0.99)),
		P999: ms(h.Quantile(0.999)),
		Max:  ms(h.Max()),
	}
	return o
}

// writeJSON prints the summary as one JSON object on one line.
func (sum *benchSummary) writeJSON(w io.Writer) error {
	b, err := json.Marshal(sum)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// writeText prints the summary as a table, one row per kind of
// operation (and one for all of them when there are two), then the
// errors by class with an example of each:
//
//	mapstore bench: put 4KiB, 16 clients, 1000 keys, bucket mapstore-bench on http://127.0.0.1:9000
//	        ops  errors     ops/s      MB/s      mean       p50       p90       p99     p99.9       max
//	put   41250       0    4123.8     16.89   3.87ms    3.52ms  ...
func (sum *benchSummary) writeText(w io.Writer) {
	fmt.Fprintf(w, "mapstore bench: %s %s, %d clients, %d keys, bucket %s on %s, %.1fs\n",
		sum.Op, formatSize(sum.Size), sum.Concurrency, sum.Keys, sum.Bucket, strings.Join(sum.Endpoints, ","), sum.Seconds)
	fmt.Fprintf(w, "%-6s %10s %7s %10s %9s %9s %9s %9s %9s %9s %9s\n",
		"", "ops", "errors", "ops/s", "MB/s", "mean", "p50", "p90", "p99", "p99.9", "max")
	row := func(name string, o opSummary) {
		l := o.Latency
		fmt.Fprintf(w, "%-6s %10d %7d %10.1f %9.2f %9s %9s %9s %9s %9s %9s\n",
			name, o.Ops, o.Errors, o.OpsPerSec, o.MBPerSec,
			formatMS(l.Mean), formatMS(l.P50), formatMS(l.P90), formatMS(l.P99), formatMS(l.P999), formatMS(l.Max))
	}
	if sum.Op == benchMixed {
		row(benchPut, sum.Kinds[benchPut])
		row(benchGet, sum.Kinds[benchGet])
		row("total", sum.opSummary)
	} else {
		row(sum.Op, sum.opSummary)
	}
	if len(sum.ErrorCounts) == 0 {
		return
	}
	// The most frequent first, ties in key order.
	keys := slices.Sorted(maps.Keys(sum.ErrorCounts))
	slices.SortStableFunc(keys, func(a, b string) int { return cmp.Compare(sum.ErrorCounts[b], sum.ErrorCounts[a]) })
	fmt.Fprintln(w, "errors:")
	for _, k := range keys {
		fmt.Fprintf(w, "  %8d  %s\n            e.g. %s\n", sum.ErrorCounts[k], k, sum.samples[k])
	}
}

// formatMS shows a latency given in milliseconds with three significant
// digits and a unit that suits it.
func formatMS(ms float64) string {
	switch {
	case ms == 0:
		return "-"
	case ms < 1:
		return fmt.Sprintf("%.0fµs", ms*1000)
	case ms < 10:
		return fmt.Sprintf("%.2fms", ms)
	case ms < 100:
		return fmt.Sprintf("%.1fms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.0fms", ms)
	default:
		return fmt.Sprintf("%.2fs", ms/1000)
	}
}
