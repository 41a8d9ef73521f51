package mmio

import "context"

// backing is the memory behind a region: a MAP_PRIVATE mapping of the file
// (mmapBacking) or a heap buffer filled from the file on demand
// (heapBacking). The page table above it is the same for both.
//
// Page numbers are relative to the region. Methods that touch memory report
// faults as errors wrapping ErrFault.
type backing interface {
	// bytes returns the memory of pages [pg, pg+n) as one slice, loading
	// them first if the backing needs to (heap). The slice aliases the
	// region's memory.
	bytes(pg, n int64) ([]byte, error)
	// drop forgets the private contents of pages [pg, pg+n): later reads
	// see the file's contents again. revert says the memory differs from
	// the file (a rollback); otherwise it is known to match (reclaim).
	drop(pg, n int64, revert bool) error
	// prefetch brings pages [pg, pg+n) into memory without stalling the
	// calling goroutine's P on a page fault.
	prefetch(ctx context.Context, pg, n int64) error
	// resident reports, per page of [pg, pg+n), whether it is in memory.
	resident(pg, n int64, out []bool) error
	// close releases the memory. No slice from bytes may be used after.
	close() error
}
