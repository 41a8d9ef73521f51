package mmio

import "sync"

// Page state flags. A page with no entry in the page table is "shared": it
// holds nothing private and reads show the file's contents.
//
//	           Tx.WriteAt                 Tx.Seal            MarkDurable
//	shared ─────────────────▶ dirty ─────────────▶ pending ─────────────▶ journaled
//	  ▲                        │  ▲                                        │  │
//	  │  drop (reclaim)        │  └───────────── Tx.WriteAt ───────────────┘  │
//	  └──────── clean ◀────────┘ Rollback                    WriteHome / FR   │
//	              ▲                                                           │
//	              └───────────────────────────────────────────────────────────┘
//
// "journaled" is a page whose latest committed version is durable in the
// journal but not at home (fHomeStale). Such a page is never dropped
// before it is written home. When a journaled page is written again, its
// committed version is first frozen (copied aside) so the checkpointer can
// still write that version home while the new one is uncommitted.
const (
	fPrivate    uint8 = 1 << iota // counts against the budget
	fDirty                        // uncommitted changes, owned by a Tx
	fPending                      // sealed into a journal record not yet durable
	fHomeStale                    // the durable committed version is not at home
	fWriteback                    // being written home or dropped: writers wait
	fReferenced                   // written since reclaim last looked
)

// page is the page-table entry of a privately held page.
type page struct {
	flags uint8
	// owner is the Tx that dirtied the page (valid with fDirty).
	owner uint64
	// frozen is the durable committed version while the memory holds a
	// newer, not yet durable one (fHomeStale with fDirty or fPending).
	frozen []byte
	// dver counts the durable versions the page has had; the checkpointer
	// uses it to notice that a newer version became durable while it was
	// writing an older one home.
	dver uint64
}

func (p *page) has(f uint8) bool { return p.flags&f != 0 }

// shard is one lock's worth of the page table, with its own reclaim queue,
// so goroutines on different cores working on different pages do not
// contend on one lock (the paper's per-core lists).
type shard struct {
	mu   sync.Mutex
	cond sync.Cond // signalled when fPending or fWriteback clear, or on failure
	// pages holds the entries of privately held pages.
	pages map[int64]*page
	// queue lists private pages in the order they became private (FIFO
	// with second chance); entries of pages since dropped are skipped.
	queue []int64
	_     [64]byte // keep shards on separate cache lines
}

func (s *shard) init() {
	s.cond.L = &s.mu
	s.pages = make(map[int64]*page)
}

// shardOf returns the shard that owns page pg.
func (r *Region) shardOf(pg int64) *shard {
	return &r.shards[pg&r.shardMask]
}
