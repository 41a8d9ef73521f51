package mmio

import (
	"fmt"
	"slices"
)

// Tx is a set of changes to a region that a journal commits all or none.
//
// Writes go into the region's memory at once (readers see them) and mark
// their pages dirty and owned by the Tx until Seal or Rollback. Page-level
// ownership is what lets concurrent transactions on disjoint pages commit
// independently: a write to a page dirty in another open Tx fails with
// ErrConflict. A write to a page that is being committed or written home
// waits until that finishes.
//
// A Tx is not safe for concurrent use.
type Tx struct {
	r     *Region
	id    uint64
	pages map[int64]spans // the byte ranges written in each page
	done  bool
}

// Begin starts a transaction.
func (r *Region) Begin() *Tx {
	return &Tx{r: r, id: r.txSeq.Add(1), pages: make(map[int64]spans)}
}

// Region returns the region the transaction writes to.
func (tx *Tx) Region() *Region { return tx.r }

// Len returns the number of pages the transaction has dirtied.
func (tx *Tx) Len() int { return len(tx.pages) }

// Written calls fn for each page the transaction has dirtied, with the
// byte ranges written in it (see SealedPage.Written). fn must not keep
// the slice.
func (tx *Tx) Written(fn func(pg int64, written []Span)) {
	for pg, sp := range tx.pages {
		fn(pg, sp)
	}
}

// ReadAt reads the region, including this and other transactions'
// uncommitted writes.
func (tx *Tx) ReadAt(p []byte, off int64) (int, error) { return tx.r.ReadAt(p, off) }

// WriteAt copies p into the region at off and marks the pages dirty.
func (tx *Tx) WriteAt(p []byte, off int64) (int, error) {
	if tx.done {
		return 0, ErrTxDone
	}
	r := tx.r
	if err := r.acquire(); err != nil {
		return 0, err
	}
	defer r.release()
	first, end, err := r.checkRange(off, len(p))
	if err != nil || len(p) == 0 {
		return 0, err
	}
	written := 0
	for pg := first; pg < end; pg++ {
		if err := tx.own(pg); err != nil {
			return written, err
		}
		mem, err := r.b.bytes(pg, 1)
		if err != nil {
			return written, err
		}
		lo := max(off, pg*PageSize) - pg*PageSize
		n, err := copyProtected(mem[lo:], p[written:])
		written += n
		if err != nil {
			// The copy stopped somewhere unknown: count the page as
			// written whole, so nothing in it escapes the record.
			tx.pages[pg] = spans{{0, PageSize}}
			return written, err
		}
		tx.pages[pg] = tx.pages[pg].add(int(lo), int(lo)+n)
	}
	if err := r.afterGrowth(); err != nil {
		return written, err
	}
	return written, nil
}

// own makes page pg dirty and owned by tx, waiting while it is being
// committed or written home.
func (tx *Tx) own(pg int64) error {
	r := tx.r
	s := r.shardOf(pg)
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if err := r.Err(); err != nil {
			return err
		}
		p := s.pages[pg]
		if p == nil {
			// The page holds nothing private: it becomes private now.
			// Loading it (heap) happens in bytes, after this returns;
			// marking first keeps reclaim away from it.
			s.pages[pg] = &page{flags: fPrivate | fDirty | fReferenced, owner: tx.id}
			s.queue = append(s.queue, pg)
			r.private.Add(1)
			if _, ok := tx.pages[pg]; !ok {
				tx.pages[pg] = nil
			}
			return nil
		}
		switch {
		case p.has(fDirty) && p.owner == tx.id:
			p.flags |= fReferenced
			return nil
		case p.has(fDirty):
			return fmt.Errorf("%w: page %d", ErrConflict, pg)
		case p.has(fPending | fWriteback):
			s.cond.Wait()
			continue
		}
		if p.has(fHomeStale) {
			// Freeze the durable committed version: the checkpointer must
			// still be able to write it home while this change is open.
			mem, err := r.b.bytes(pg, 1)
			if err != nil {
				return err
			}
			p.frozen = make([]byte, PageSize)
			if _, err := copyProtected(p.frozen, mem); err != nil {
				p.frozen = nil
				return err
			}
		}
		p.flags |= fDirty | fReferenced
		p.owner = tx.id
		if _, ok := tx.pages[pg]; !ok {
			tx.pages[pg] = nil
		}
		return nil
	}
}

// SealedPage is one page of a sealed transaction, as the journal writes it.
type SealedPage struct {
	// Page is the page number within the region.
	Page int64
	// Off is the page's home offset in the region's file.
	Off int64
	// Data is the page's memory, PageSize bytes. It stays unchanged until
	// MarkDurable (or Fail) for this page: writers wait meanwhile.
	Data []byte
	// Written lists the byte ranges of the page the transaction wrote,
	// sorted and disjoint (the whole page once it wrote in more than a few
	// places). The rest of Data equals the page's previous committed
	// version, so a redo record may carry just these ranges.
	Written []Span
}

// Seal ends the transaction and hands its pages, sorted by offset, to the
// journal. The pages are "pending" until the journal calls MarkDurable
// with them: they cannot change, be dropped or be written home meanwhile,
// so the journal can write them straight from the region's memory.
func (tx *Tx) Seal() ([]SealedPage, error) {
	if tx.done {
		return nil, ErrTxDone
	}
	tx.done = true
	r := tx.r
	if err := r.acquire(); err != nil {
		return nil, err
	}
	defer r.release()
	if err := r.Err(); err != nil {
		return nil, err
	}
	pgs := make([]int64, 0, len(tx.pages))
	for pg := range tx.pages {
		pgs = append(pgs, pg)
	}
	slices.Sort(pgs)
	out := make([]SealedPage, len(pgs))
	for i, pg := range pgs {
		s := r.shardOf(pg)
		s.mu.Lock()
		p := s.pages[pg]
		p.flags = p.flags&^fDirty | fPending
		p.owner = 0
		s.mu.Unlock()
		mem, err := r.b.bytes(pg, 1)
		if err != nil {
			return nil, err
		}
		out[i] = SealedPage{Page: pg, Off: r.off + pg*PageSize, Data: mem, Written: tx.pages[pg]}
	}
	return out, nil
}

// MarkDurable records that the sealed pages are now durable in the journal:
// each page's memory is its latest committed version, and its home copy is
// stale until written home.
func (r *Region) MarkDurable(pages []SealedPage) {
	for _, sp := range pages {
		s := r.shardOf(sp.Page)
		s.mu.Lock()
		p := s.pages[sp.Page]
		p.flags = p.flags&^fPending | fHomeStale
		p.frozen = nil
		p.dver++
		s.cond.Broadcast()
		s.mu.Unlock()
	}
}

// Rollback ends the transaction and undoes its writes: each page returns to
// its latest committed version.
func (tx *Tx) Rollback() error {
	if tx.done {
		return ErrTxDone
	}
	tx.done = true
	r := tx.r
	if err := r.acquire(); err != nil {
		return err
	}
	defer r.release()
	for pg := range tx.pages {
		if err := r.rollbackPage(pg); err != nil {
			return err
		}
	}
	return nil
}

func (r *Region) rollbackPage(pg int64) error {
	s := r.shardOf(pg)
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pages[pg]
	if p.frozen != nil {
		mem, err := r.b.bytes(pg, 1)
		if err != nil {
			return err
		}
		if _, err := copyProtected(mem, p.frozen); err != nil {
			return err
		}
		p.frozen = nil
		p.flags &^= fDirty
		p.owner = 0
		return nil
	}
	// The home copy is the committed version: forget the private one.
	if err := r.b.drop(pg, 1, true); err != nil {
		return err
	}
	delete(s.pages, pg)
	r.private.Add(-1)
	return nil
}
