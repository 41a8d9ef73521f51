package mmio

import (
	"fmt"
	"log/slog"
	"runtime"
)

// PageSize is the unit of dirty tracking, reclaim and journaling.
const PageSize = 4096

// Policy selects what reclaim may take when the resident budget is full.
type Policy int

const (
	// FullRecycling drops pages already written home and, when those do
	// not suffice, also takes journaled pages (committed but not yet
	// checkpointed), writing them home first with vectored writes. This is
	// the default: it keeps write-heavy workloads within budget.
	FullRecycling Policy = iota
	// CleanOnlyRecycling drops only pages whose home copy is current.
	// Journaled pages stay resident until the checkpointer writes them home.
	CleanOnlyRecycling
)

func (p Policy) String() string {
	switch p {
	case FullRecycling:
		return "full"
	case CleanOnlyRecycling:
		return "clean-only"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// Options configure a region. The zero value is valid: see each field's
// default.
type Options struct {
	// Offset is where the region starts in the file, a multiple of
	// PageSize. Default 0.
	Offset int64
	// Size is the region's length in bytes, a multiple of PageSize. The
	// file must already be at least Offset+Size long. Default: the rest of
	// the file from Offset, rounded down to a page.
	Size int64
	// Budget bounds the bytes of privately held pages: pages written
	// since they were last dropped (for a mapping, the private copies the
	// kernel made on write; pages only read stay in the page cache and are
	// the kernel's to manage). Reclaim runs when a write would exceed it. Pages that are dirty or being committed can never
	// be dropped, so the budget is soft while they exceed it. Default 0:
	// unlimited.
	Budget int64
	// ForegroundReclaimOnly turns off the background reclaimer. By default
	// a region with a budget runs one, like the kernel's kswapd: when the
	// private pages pass 7/8 of the budget it reclaims down to 3/4, so
	// writers seldom reclaim (and wait for writeback) themselves; a writer
	// still reclaims synchronously when the budget itself is exceeded.
	ForegroundReclaimOnly bool
	// Policy is the reclaim policy. Default FullRecycling.
	Policy Policy
	// Shards is the number of page-table shards; each has its own lock
	// and reclaim queue. Default 4 x GOMAXPROCS, rounded up to a power of
	// two.
	Shards int
	// PageAtATimeWriteback writes every page home with its own write
	// instead of one vectored write per contiguous run. Default false; it
	// exists so benchmarks can compare the two.
	PageAtATimeWriteback bool
	// Logger receives reclaim and failure events. Default: discard.
	Logger *slog.Logger
}

// EnsureDefaults fills the zero fields with their defaults.
func (o *Options) EnsureDefaults() {
	if o.Shards <= 0 {
		n := 4 * runtime.GOMAXPROCS(0)
		s := 1
		for s < n {
			s <<= 1
		}
		o.Shards = s
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports options that cannot work.
func (o *Options) Validate() error {
	if o.Offset < 0 || o.Offset%PageSize != 0 {
		return fmt.Errorf("mmio: offset %d is not a non-negative multiple of %d", o.Offset, PageSize)
	}
	if o.Size < 0 || o.Size%PageSize != 0 {
		return fmt.Errorf("mmio: size %d is not a non-negative multiple of %d", o.Size, PageSize)
	}
	if o.Budget < 0 {
		return fmt.Errorf("mmio: negative budget %d", o.Budget)
	}
	if o.Policy != FullRecycling && o.Policy != CleanOnlyRecycling {
		return fmt.Errorf("mmio: unknown reclaim policy %d", int(o.Policy))
	}
	if o.Shards&(o.Shards-1) != 0 {
		return fmt.Errorf("mmio: shard count %d is not a power of two", o.Shards)
	}
	return nil
}
