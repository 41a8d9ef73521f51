package mmio

import (
	"fmt"
	"slices"
)

// homeWrite is one page to write home.
type homeWrite struct {
	pg   int64
	data []byte
}

// writeRuns writes pages home, sorted by page number, one vectored write
// per contiguous run (the file layer splits runs longer than IOV_MAX
// buffers). With PageAtATimeWriteback every page is its own write.
func (r *Region) writeRuns(ws []homeWrite) error {
	slices.SortFunc(ws, func(a, b homeWrite) int { return int(a.pg - b.pg) })
	if r.opts.PageAtATimeWriteback {
		for _, w := range ws {
			if _, err := r.f.WriteAt(w.data, r.off+w.pg*PageSize); err != nil {
				return fmt.Errorf("mmio: writing page %d home: %w", w.pg, err)
			}
			r.stats.writes.Add(1)
		}
		r.stats.pagesWritten.Add(int64(len(ws)))
		return nil
	}
	bufs := make([][]byte, 0, len(ws))
	for i := 0; i < len(ws); {
		j := i + 1
		for j < len(ws) && ws[j].pg == ws[j-1].pg+1 {
			j++
		}
		bufs = bufs[:0]
		for _, w := range ws[i:j] {
			bufs = append(bufs, w.data)
		}
		if _, err := r.f.WriteV(bufs, r.off+ws[i].pg*PageSize); err != nil {
			return fmt.Errorf("mmio: writing pages [%d, %d) home: %w", ws[i].pg, ws[j-1].pg+1, err)
		}
		r.stats.writes.Add(1)
		i = j
	}
	r.stats.pagesWritten.Add(int64(len(ws)))
	return nil
}

// homeSnap remembers what WriteHome wrote for a page.
type homeSnap struct {
	dver    uint64
	fromMem bool
}

// WriteHome writes the latest durable committed version of every journaled
// page to its home location: from memory when the page has not been written
// since, from its frozen copy when it has. It returns the number of pages
// written. The writes are not synced: the checkpointer syncs the file
// before it lets the journal forget the records these pages came from.
//
// A page whose newer version becomes durable while WriteHome runs stays
// journaled; its record is newer than any the checkpoint retires.
func (r *Region) WriteHome() (int, error) {
	if err := r.acquire(); err != nil {
		return 0, err
	}
	defer r.release()
	r.wbMu.Lock()
	defer r.wbMu.Unlock()
	if err := r.Err(); err != nil {
		return 0, err
	}

	var ws []homeWrite
	snaps := make(map[int64]homeSnap)
	var scanErr error
scan:
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		for pg, p := range s.pages {
			if !p.has(fHomeStale) {
				continue
			}
			switch {
			case p.frozen != nil:
				ws = append(ws, homeWrite{pg, p.frozen})
				snaps[pg] = homeSnap{dver: p.dver}
			case p.has(fDirty | fPending):
				scanErr = fmt.Errorf("mmio: page %d is journaled and changed without a frozen copy (flags %#x)", pg, p.flags)
			default:
				mem, err := r.b.bytes(pg, 1)
				if err != nil {
					scanErr = err
					break
				}
				// A journaled page already flagged fWriteback is a reclaim
				// victim waiting for wbMu to write it home: its memory
				// cannot change meanwhile, so write it from there too, but
				// leave the flag to reclaim, which drops the page next.
				snap := homeSnap{dver: p.dver}
				if !p.has(fWriteback) {
					p.flags |= fWriteback
					snap.fromMem = true
				}
				ws = append(ws, homeWrite{pg, mem})
				snaps[pg] = snap
			}
			if scanErr != nil {
				s.mu.Unlock()
				break scan
			}
		}
		s.mu.Unlock()
	}

	werr := scanErr
	if werr == nil {
		werr = r.writeRuns(ws)
	}
	for _, w := range ws {
		s := r.shardOf(w.pg)
		s.mu.Lock()
		p := s.pages[w.pg]
		snap := snaps[w.pg]
		if snap.fromMem {
			p.flags &^= fWriteback
		}
		if werr == nil && p.dver == snap.dver {
			p.flags &^= fHomeStale
			p.frozen = nil
		}
		s.cond.Broadcast()
		s.mu.Unlock()
	}
	if scanErr != nil {
		// Nothing was written; the pages collected so far are released.
		return 0, scanErr
	}
	if werr != nil {
		r.Fail(werr)
		return 0, werr
	}
	return len(ws), nil
}
