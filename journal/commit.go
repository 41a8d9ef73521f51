package journal

import (
	"fmt"
	"time"

	"mapstore/mmio"
)

// maxRecord is the largest record the format can describe (the header
// keeps sizes in 32 bits).
const maxRecord = 1<<32 - sectorSize

// rangeLimit is the most bytes of a page a record carries as byte ranges;
// a page written more than that is carried whole.
const rangeLimit = mmio.PageSize / 2

// pageEntries returns the entries that carry one sealed page: its written
// ranges when they are small, the whole page otherwise. Either way the
// record redoes exactly the transaction's change: the bytes outside the
// ranges hold the previous committed version, which the home copy plus
// the records before this one already produce at recovery.
func pageEntries(off int64, written []mmio.Span, out []entry) []entry {
	n := 0
	for _, sp := range written {
		n += sp.Hi - sp.Lo
	}
	if n > rangeLimit {
		return append(out, entry{off: off, n: mmio.PageSize})
	}
	for _, sp := range written {
		out = append(out, entry{off: off + int64(sp.Lo), n: uint32(sp.Hi - sp.Lo)})
	}
	return out
}

// recordBound returns the padded size of the record a transaction will
// need.
func recordBound(tx *mmio.Tx) int64 {
	var count int
	var data int64
	var es []entry
	tx.Written(func(pg int64, written []mmio.Span) {
		es = pageEntries(0, written, es[:0])
		count += len(es)
		for _, e := range es {
			data += int64(e.n)
		}
	})
	return padded(recordSize(count, data))
}

// Commit makes the transaction's changes durable, all or none, and ends the
// transaction. On success the changes survive any crash; on failure they
// may or may not (the journal is then failed and refuses further commits,
// and the next Open decides from what reached the disk).
//
// The changes become one redo record (header, entry table, page images,
// commit mark with a CRC32C over all of it) appended to the journal with
// one write and made durable with one fdatasync. Commits that arrive while
// a sync is in flight are written and synced together by the next one
// (group commit): each still gets its own record, so each stays atomic.
//
// The pages are written straight from the region's memory: they are
// pending, and cannot change, until their record is durable.
func (j *Journal) Commit(tx *mmio.Tx) error {
	var start time.Time
	if j.opts.ObserveCommit != nil {
		start = time.Now()
	}
	if tx.Region() != j.r {
		return fmt.Errorf("journal: transaction belongs to another region")
	}
	size := recordBound(tx)
	if size > j.end-dataStart || size > maxRecord {
		tx.Rollback()
		return fmt.Errorf("%w: %d pages need %d bytes, the journal holds %d",
			ErrTooLarge, tx.Len(), size, j.end-dataStart)
	}
	j.mu.Lock()
	err := j.err
	if err == nil && j.closed {
		err = ErrClosed
	}
	j.mu.Unlock()
	if err != nil {
		tx.Rollback()
		return err
	}
	pages, err := tx.Seal()
	if err != nil {
		return j.failWith(err)
	}
	if len(pages) == 0 {
		return nil
	}

	entries := make([]entry, 0, len(pages))
	data := make([][]byte, 0, len(pages))
	var dataLen int64
	for _, p := range pages {
		first := len(entries)
		entries = pageEntries(p.Off, p.Written, entries)
		for _, e := range entries[first:] {
			lo := e.off - p.Off
			data = append(data, p.Data[lo:lo+int64(e.n)])
			dataLen += int64(e.n)
		}
	}
	body := bodyCRC(entries, data)
	raw := recordSize(len(entries), dataLen)
	size = padded(raw)

	j.mu.Lock()
	pos, err := j.reserve(size)
	if err != nil {
		j.mu.Unlock()
		return err
	}
	lsn := j.nextLSN
	j.nextLSN++
	j.head = pos + size
	head := encodeRecordHead(lsn, entries, raw)
	bufs := make([][]byte, 0, len(data)+2)
	bufs = append(bufs, head)
	bufs = append(bufs, data...)
	bufs = append(bufs, encodeTrailer(lsn, head, body, raw))
	j.live = append(j.live, liveRec{lsn: lsn, pos: pos, size: size})
	j.queue = append(j.queue, &pending{lsn: lsn, pos: pos, bufs: bufs, size: size, pages: pages})

	for j.durableLSN < lsn && j.err == nil {
		if j.syncing {
			j.cond.Wait()
			continue
		}
		j.lead()
	}
	err = j.err
	cp := err == nil && j.usedLocked() >= int64(float64(j.end-dataStart)*j.opts.CheckpointAt)
	j.mu.Unlock()
	if err != nil {
		return err
	}
	if j.opts.ObserveCommit != nil {
		j.opts.ObserveCommit(time.Since(start), int(size))
	}
	if cp {
		j.kickCheckpoint()
	}
	return nil
}

// lead writes and syncs every queued record as one batch. Called with j.mu
// held and j.syncing false; it drops the lock for the I/O.
func (j *Journal) lead() {
	batch := j.queue
	j.queue = nil
	j.syncing = true
	j.mu.Unlock()

	err := j.writeBatch(batch)
	if err == nil {
		for _, p := range batch {
			j.r.MarkDurable(p.pages)
		}
	}

	j.mu.Lock()
	j.syncing = false
	if err != nil {
		j.failLocked(err)
	} else {
		j.durableLSN = batch[len(batch)-1].lsn
		j.stats.commits.Add(int64(len(batch)))
		j.stats.syncs.Add(1)
	}
	j.cond.Broadcast()
}

// writeBatch writes records (consecutive LSNs) with one vectored write per
// contiguous stretch of the file, then one fdatasync.
func (j *Journal) writeBatch(batch []*pending) error {
	for i := 0; i < len(batch); {
		k := i + 1
		for k < len(batch) && batch[k].pos == batch[k-1].pos+batch[k-1].size {
			k++
		}
		var bufs [][]byte
		for _, p := range batch[i:k] {
			bufs = append(bufs, p.bufs...)
		}
		if _, err := j.f.WriteV(bufs, batch[i].pos); err != nil {
			return fmt.Errorf("journal: write records %d-%d of %s: %w", batch[i].lsn, batch[k-1].lsn, j.name, err)
		}
		i = k
	}
	if err := j.f.Datasync(); err != nil {
		return fmt.Errorf("journal: sync records %d-%d of %s: %w", batch[0].lsn, batch[len(batch)-1].lsn, j.name, err)
	}
	return nil
}

// reserve finds the position for a record of size bytes, waiting for a
// checkpoint to free space if needed. Called with j.mu held.
func (j *Journal) reserve(size int64) (int64, error) {
	for {
		if j.err != nil {
			return 0, j.err
		}
		if j.closed {
			return 0, ErrClosed
		}
		if pos, ok := j.fitLocked(size); ok {
			return pos, nil
		}
		j.stats.spaceWaits.Add(1)
		if j.opts.InlineCheckpoint {
			j.mu.Unlock()
			err := j.Checkpoint()
			j.mu.Lock()
			if err != nil {
				return 0, err
			}
			if _, ok := j.fitLocked(size); !ok && len(j.live) > 0 && j.live[0].lsn > j.durableLSN {
				// Only records still being synced hold the space: wait
				// for their leader rather than spin.
				j.cond.Wait()
			}
			continue
		}
		j.kickCheckpoint()
		j.cond.Wait()
	}
}

// fitLocked says where a record of size bytes can go without overwriting a
// live record: at the head, or at the start of the record area when the
// head is too close to the end (the bytes skipped at the end are never
// read: recovery looks for the next record at the start when it is not at
// the head).
func (j *Journal) fitLocked(size int64) (int64, bool) {
	if len(j.live) == 0 {
		if j.head+size <= j.end {
			return j.head, true
		}
		return dataStart, true
	}
	tail := j.live[0].pos
	if tail < j.head { // live records span [tail, head)
		if j.head+size <= j.end {
			return j.head, true
		}
		if dataStart+size <= tail {
			return dataStart, true
		}
		return 0, false
	}
	// Wrapped: live records span [tail, end) and [dataStart, head).
	if j.head+size <= tail {
		return j.head, true
	}
	return 0, false
}

// usedLocked is how much of the record area live records take, counting
// the bytes skipped at a wrap.
func (j *Journal) usedLocked() int64 {
	if len(j.live) == 0 {
		return 0
	}
	tail := j.live[0].pos
	if tail < j.head {
		return j.head - tail
	}
	return j.end - tail + j.head - dataStart
}

// failWith fails the journal with err and returns the journal's error.
func (j *Journal) failWith(err error) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.failLocked(err)
}
