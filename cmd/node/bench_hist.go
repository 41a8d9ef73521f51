package main

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// latencyHist counts durations in log-linear buckets, as HdrHistogram
// does: exact below 256 ns, then every power of two [2^k, 2^(k+1)) is cut
// into histSub equal buckets:
//
//	value (ns)      0 1 2 ... 255 | 256 258 ... 510 | 512 516 ... 1020 | ...
//	bucket width    1 1 1 ...   1 |   2   2 ...   2 |   4   4 ...    4 | ...
//	bucket index    0 1 2 ... 255 | 256 257 ... 383 | 384 385 ...  511 | ...
//
// A bucket is never wider than 1/histSub of its lower bound, so reporting
// its midpoint is off by at most 1/(2*histSub) = 0.4% of the true value,
// whatever the latencies are, while memory is fixed (histBuckets counters,
// 34 KiB) however many operations are counted. Values of 2^histMaxBits ns
// (18 minutes) and more land in the last bucket; the exact minimum and
// maximum are kept apart. Record is safe for concurrent use (atomic adds,
// no lock), so all clients share one histogram per kind of operation.
type latencyHist struct {
	counts [histBuckets]atomic.Uint64
	n, sum atomic.Uint64 // sum in ns: 2^64 ns is 584 years
	min1   atomic.Int64  // exact minimum in ns plus one; 0 while empty
	max    atomic.Int64  // exact maximum in ns
}

const (
	histSubBits = 7
	histSub     = 1 << histSubBits // buckets per power of two
	histMaxBits = 40               // values from 2^40 ns share the last bucket
	histBuckets = (histMaxBits - histSubBits + 1) * histSub
)

// histIndex returns the bucket of v nanoseconds (v >= 0).
func histIndex(v int64) int {
	if v < 2*histSub {
		return int(v)
	}
	if v >= 1<<histMaxBits {
		v = 1<<histMaxBits - 1
	}
	shift := bits.Len64(uint64(v)) - histSubBits - 1
	return (shift+1)*histSub + int(v>>shift) - histSub
}

// histBucket returns the lowest value of bucket i and its width.
func histBucket(i int) (low, width int64) {
	if i < 2*histSub {
		return int64(i), 1
	}
	shift := i/histSub - 1
	return int64(i%histSub+histSub) << shift, 1 << shift
}

// Record counts one duration.
func (h *latencyHist) Record(d time.Duration) {
	v := max(int64(d), 0)
	h.counts[histIndex(v)].Add(1)
	h.n.Add(1)
	h.sum.Add(uint64(v))
	h.lower(v)
	for old := h.max.Load(); v > old && !h.max.CompareAndSwap(old, v); old = h.max.Load() {
	}
}

// lower makes v the minimum if it is below the one recorded.
func (h *latencyHist) lower(v int64) {
	for old := h.min1.Load(); old == 0 || v+1 < old; old = h.min1.Load() {
		if h.min1.CompareAndSwap(old, v+1) {
			return
		}
	}
}

// Merge adds o's counts to h. Neither may be recorded into meanwhile.
func (h *latencyHist) Merge(o *latencyHist) {
	on := o.n.Load()
	if on == 0 {
		return
	}
	for i := range h.counts {
		if c := o.counts[i].Load(); c != 0 {
			h.counts[i].Add(c)
		}
	}
	h.lower(o.min1.Load() - 1)
	h.max.Store(max(h.max.Load(), o.max.Load()))
	h.n.Add(on)
	h.sum.Add(o.sum.Load())
}

// Count returns the number of durations recorded.
func (h *latencyHist) Count() uint64 { return h.n.Load() }

// Min returns the shortest duration recorded, exactly (0 if none).
func (h *latencyHist) Min() time.Duration { return time.Duration(max(h.min1.Load()-1, 0)) }

// Max returns the longest duration recorded, exactly.
func (h *latencyHist) Max() time.Duration { return time.Duration(h.max.Load()) }

// Mean returns the average duration (0 if none).
func (h *latencyHist) Mean() time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sum.Load() / n)
}

// Quantile returns the q-quantile (0 <= q <= 1) of the durations: the
// value of rank ceil(q*n) in sorted order, within 0.4% (the midpoint of
// its bucket, kept within the exact minimum and maximum). 0 if none.
func (h *latencyHist) Quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	rank = min(max(rank, 1), n)
	var seen uint64
	for i := range h.counts {
		if seen += h.counts[i].Load(); seen >= rank {
			if i == histBuckets-1 {
				return h.Max() // the bucket of everything from 2^histMaxBits
			}
			low, width := histBucket(i)
			v := low + (width-1)/2
			return time.Duration(min(max(v, h.min1.Load()-1), h.max.Load()))
		}
	}
	return h.Max()
}
