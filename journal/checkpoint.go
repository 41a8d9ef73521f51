package journal

import (
	"fmt"
	"log/slog"
)

// Checkpoint writes every durable journaled page home, syncs the home
// file, and then moves the journal's tail past the records those pages came
// from, so their space can be reused. Commits proceed meanwhile.
//
// The order is what makes it safe: the header that forgets a record is
// written only after the home file holds, durably, a version of each of
// its pages at least as new as the record's. A crash at any point leaves
// either the old tail (the records are replayed again, which redo records
// allow) or the new one.
func (j *Journal) Checkpoint() error {
	j.cpMu.Lock()
	defer j.cpMu.Unlock()

	j.mu.Lock()
	if j.err != nil {
		defer j.mu.Unlock()
		return j.err
	}
	cut := j.durableLSN
	if len(j.live) == 0 || j.live[0].lsn > cut {
		j.mu.Unlock()
		return nil
	}
	j.mu.Unlock()

	n, err := j.r.WriteHome()
	if err == nil {
		if err = j.r.File().Datasync(); err != nil {
			err = fmt.Errorf("journal: sync home file %s: %w", j.r.File().Name(), err)
		}
	}
	if err != nil {
		return j.failWith(err)
	}

	j.mu.Lock()
	tailLSN, tailPos := j.nextLSN, j.head
	for _, l := range j.live {
		if l.lsn > cut {
			tailLSN, tailPos = l.lsn, l.pos
			break
		}
	}
	j.mu.Unlock()

	if err := j.writeHeader(tailLSN, tailPos); err != nil {
		return j.failWith(err)
	}

	j.mu.Lock()
	k := 0
	for k < len(j.live) && j.live[k].lsn <= cut {
		k++
	}
	j.live = append(j.live[:0:0], j.live[k:]...)
	j.stats.checkpoints.Add(1)
	j.stats.pagesHome.Add(int64(n))
	j.cond.Broadcast()
	j.mu.Unlock()
	j.log.Debug("checkpoint", slog.Uint64("through_lsn", cut), slog.Int("pages", n))
	return nil
}

// kickCheckpoint asks for a checkpoint: at once on this goroutine with
// InlineCheckpoint, otherwise from the background checkpointer.
func (j *Journal) kickCheckpoint() {
	if j.opts.InlineCheckpoint {
		// A failure fails the journal; the caller's own commit is durable.
		_ = j.Checkpoint()
		return
	}
	select {
	case j.cpKick <- struct{}{}:
	default:
	}
}

// checkpointLoop is the background checkpointer.
func (j *Journal) checkpointLoop() {
	defer close(j.cpDone)
	for {
		select {
		case <-j.cpStop:
			return
		case <-j.cpKick:
			if err := j.Checkpoint(); err != nil {
				j.log.Error("checkpoint failed", slog.Any("err", err))
			}
		}
	}
}
