package mmio

import (
	"log/slog"
	"slices"
)

// Reclaim brings the privately held pages back under the budget now, as a
// write that exceeds it would. It is a no-op without a budget.
func (r *Region) Reclaim() error {
	if err := r.acquire(); err != nil {
		return err
	}
	defer r.release()
	if r.opts.Budget <= 0 {
		return nil
	}
	return r.reclaimTo(r.foregroundTarget())
}

// SetPressureHook installs fn, called (without waiting for it to act) when
// Clean-Only Recycling finds too few pages it may drop because the rest
// are journaled and not yet home: the journal uses it to start a
// checkpoint early. fn must not block or call back into the region.
func (r *Region) SetPressureHook(fn func()) { r.pressure.Store(&fn) }

// Watermarks, in pages: a writer that takes the region over the budget
// reclaims to foregroundTarget itself; passing highWater wakes the
// background reclaimer, which reclaims to lowWater.
func (r *Region) budgetPages() int64 { return r.opts.Budget / PageSize }
func (r *Region) highWater() int64   { return r.budgetPages() * 7 / 8 }
func (r *Region) lowWater() int64    { return r.budgetPages() * 3 / 4 }
func (r *Region) foregroundTarget() int64 {
	b := r.budgetPages()
	// A little under the budget, so victims come in batches and writeback
	// gets long runs.
	return b - min(max(b/16, 32), b)
}

// afterGrowth runs after a write made pages private: it wakes the
// background reclaimer past the high watermark and reclaims on the
// caller's goroutine past the budget.
func (r *Region) afterGrowth() error {
	if r.opts.Budget <= 0 {
		return nil
	}
	n := r.private.Load()
	if r.bgKick != nil && n > r.highWater() {
		select {
		case r.bgKick <- struct{}{}:
		default:
		}
	}
	if n > r.budgetPages() {
		return r.reclaimTo(r.foregroundTarget())
	}
	return nil
}

// backgroundReclaim is the region's kswapd.
func (r *Region) backgroundReclaim() {
	defer close(r.bgDone)
	for {
		select {
		case <-r.bgStop:
			return
		case <-r.bgKick:
		}
		if err := r.acquire(); err != nil {
			return
		}
		err := r.reclaimTo(r.lowWater())
		r.release()
		if err != nil {
			r.log.Warn("background reclaim failed", slog.Any("err", err))
		}
	}
}

// reclaimTo drops private pages until at most target remain. Clean pages
// go first; with FullRecycling, journaled pages follow, written home with
// vectored writes before they are dropped. Dirty and pending pages are
// never taken.
func (r *Region) reclaimTo(target int64) error {
	r.reclaimMu.Lock()
	defer r.reclaimMu.Unlock()
	need := r.private.Load() - target
	if need <= 0 {
		return nil
	}
	r.stats.reclaims.Add(1)

	victims := r.collect(need, false)
	if int64(len(victims)) < need && r.opts.Policy == CleanOnlyRecycling {
		// Only a checkpoint can make journaled pages droppable. (Full
		// Recycling writes them home itself: kicking checkpoints from
		// here would write every hot page home again and again.)
		if fn := r.pressure.Load(); fn != nil {
			(*fn)()
		}
	}
	var journaled []int64
	if int64(len(victims)) < need && r.opts.Policy == FullRecycling {
		journaled = r.collect(need-int64(len(victims)), true)
		if err := r.writeVictimsHome(journaled); err != nil {
			r.unmarkVictims(journaled)
			r.unmarkVictims(victims)
			return err
		}
		victims = append(victims, journaled...)
	}
	if len(victims) == 0 {
		return nil
	}
	slices.Sort(victims)
	var derr error
	for i := 0; i < len(victims); {
		j := i + 1
		for j < len(victims) && victims[j] == victims[j-1]+1 {
			j++
		}
		if err := r.b.drop(victims[i], int64(j-i), false); err != nil && derr == nil {
			derr = err
		}
		i = j
	}
	if derr != nil {
		// The pages are intact, merely still resident: keep them.
		r.unmarkVictims(victims)
		r.log.Warn("reclaim could not drop pages", slog.Any("err", derr))
		return nil
	}
	for _, pg := range victims {
		s := r.shardOf(pg)
		s.mu.Lock()
		delete(s.pages, pg)
		s.cond.Broadcast()
		s.mu.Unlock()
	}
	r.private.Add(-int64(len(victims)))
	r.stats.dropped.Add(int64(len(victims)))
	return nil
}

// collect picks up to need victims from the shards' queues, round robin,
// giving referenced pages a second chance. With journaled false it takes
// clean pages, otherwise journaled ones (home stale, not being changed).
// Victims are flagged fWriteback so writers wait until they are gone.
func (r *Region) collect(need int64, journaled bool) []int64 {
	var out []int64
	n := len(r.shards)
	for pass := 0; pass < 2 && int64(len(out)) < need; pass++ {
		for k := 0; k < n && int64(len(out)) < need; k++ {
			s := &r.shards[(r.rrShard+k)%n]
			s.mu.Lock()
			out = s.scan(out, need, journaled)
			s.mu.Unlock()
		}
	}
	r.rrShard = (r.rrShard + 1) % n
	return out
}

// scan walks the shard's queue once from the front, appending victims to
// out until it holds need. Pages it keeps move to the back in order.
func (s *shard) scan(out []int64, need int64, journaled bool) []int64 {
	q := s.queue
	kept := make([]int64, 0, len(q))
	i := 0
	for ; i < len(q) && int64(len(out)) < need; i++ {
		pg := q[i]
		p := s.pages[pg]
		if p == nil {
			continue // dropped or rolled back since it was queued
		}
		if p.has(fReferenced) {
			p.flags &^= fReferenced
			kept = append(kept, pg)
			continue
		}
		busy := p.has(fDirty | fPending | fWriteback)
		if busy || p.has(fHomeStale) != journaled {
			kept = append(kept, pg)
			continue
		}
		p.flags |= fWriteback
		out = append(out, pg)
	}
	s.queue = append(append(q[:0:0], q[i:]...), kept...)
	return out
}

// writeVictimsHome writes journaled victims home (Full Recycling).
func (r *Region) writeVictimsHome(pgs []int64) error {
	if len(pgs) == 0 {
		return nil
	}
	r.wbMu.Lock()
	defer r.wbMu.Unlock()
	ws := make([]homeWrite, 0, len(pgs))
	for _, pg := range pgs {
		mem, err := r.b.bytes(pg, 1)
		if err != nil {
			return err
		}
		ws = append(ws, homeWrite{pg, mem})
	}
	if err := r.writeRuns(ws); err != nil {
		r.Fail(err)
		return err
	}
	for _, pg := range pgs {
		s := r.shardOf(pg)
		s.mu.Lock()
		s.pages[pg].flags &^= fHomeStale
		s.mu.Unlock()
	}
	return nil
}

// unmarkVictims gives back victims that were not dropped: it clears their
// fWriteback flag and queues them again.
func (r *Region) unmarkVictims(pgs []int64) {
	for _, pg := range pgs {
		s := r.shardOf(pg)
		s.mu.Lock()
		if p := s.pages[pg]; p != nil {
			p.flags &^= fWriteback
			s.queue = append(s.queue, pg)
		}
		s.cond.Broadcast()
		s.mu.Unlock()
	}
}
