package mmio

import "sync/atomic"

type stats struct {
	reclaims     atomic.Int64
	dropped      atomic.Int64
	pagesWritten atomic.Int64
	writes       atomic.Int64
}

// Stats are cumulative counters of a region's reclaim and writeback.
type Stats struct {
	// PrivatePages is the number of privately held pages now.
	PrivatePages int64
	// Reclaims is how many times reclaim ran.
	Reclaims int64
	// Dropped is how many pages reclaim dropped.
	Dropped int64
	// PagesWritten is how many pages were written home (reclaim and
	// checkpoint together).
	PagesWritten int64
	// Writes is how many write calls that took (one per contiguous run when
	// writeback is vectored).
	Writes int64
}

// Stats returns the region's counters.
func (r *Region) Stats() Stats {
	return Stats{
		PrivatePages: r.private.Load(),
		Reclaims:     r.stats.reclaims.Load(),
		Dropped:      r.stats.dropped.Load(),
		PagesWritten: r.stats.pagesWritten.Load(),
		Writes:       r.stats.writes.Load(),
	}
}
