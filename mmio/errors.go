package mmio

import "errors"

// ErrClosed is returned by every operation on a closed region.
var ErrClosed = errors.New("mmio: region is closed")

// ErrViewsOutstanding is returned by Close while zero-copy views of the
// region are still held: unmapping would leave them pointing at nothing.
var ErrViewsOutstanding = errors.New("mmio: views are still outstanding")

// ErrConflict is returned by Tx.WriteAt when another open transaction has
// uncommitted changes to the same page. Page-level ownership is what makes
// each transaction's commit atomic on its own; callers that write the same
// pages from several goroutines must serialize those transactions.
var ErrConflict = errors.New("mmio: page is dirty in another transaction")

// ErrTxDone is returned when a transaction is used after Seal or Rollback.
var ErrTxDone = errors.New("mmio: transaction already sealed or rolled back")

// ErrRange is returned for an access outside the region.
var ErrRange = errors.New("mmio: access out of range")

// ErrFault is wrapped by the error returned when touching the mapping
// raised a memory fault (SIGBUS from a failed page-in, or an access beyond
// the end of the file): the fault becomes an error, not a process crash.
var ErrFault = errors.New("mmio: memory fault in mapped region")

// ErrFailed is wrapped by every write-path error after the region has
// failed (a writeback I/O error, or the journal declared it failed). A
// failed region refuses further changes: its durable state is whatever the
// journal holds, and only recovery from it is trustworthy.
var ErrFailed = errors.New("mmio: region has failed")

// ErrNoMmap is returned by Map for files that cannot be memory-mapped (no
// OS descriptor) or on platforms without support. Use NewBuffered there.
var ErrNoMmap = errors.New("mmio: file cannot be memory-mapped")
