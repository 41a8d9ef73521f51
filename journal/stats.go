package journal

import "sync/atomic"

type stats struct {
	commits     atomic.Int64
	syncs       atomic.Int64
	checkpoints atomic.Int64
	pagesHome   atomic.Int64
	spaceWaits  atomic.Int64
}

// Stats are cumulative counters of a journal.
type Stats struct {
	// Commits is the number of records made durable.
	Commits int64
	// Syncs is the number of fdatasync calls that made them durable; with
	// group commit it is lower than Commits.
	Syncs int64
	// Checkpoints is the number of completed checkpoints.
	Checkpoints int64
	// PagesHome is the number of pages checkpoints wrote home.
	PagesHome int64
	// SpaceWaits counts commits that found the journal full.
	SpaceWaits int64
}

// Stats returns the journal's counters.
func (j *Journal) Stats() Stats {
	return Stats{
		Commits:     j.stats.commits.Load(),
		Syncs:       j.stats.syncs.Load(),
		Checkpoints: j.stats.checkpoints.Load(),
		PagesHome:   j.stats.pagesHome.Load(),
		SpaceWaits:  j.stats.spaceWaits.Load(),
	}
}
