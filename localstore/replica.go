package localstore

// A replica's store (Options.Proposer set) is changed only by the batches
// of a replicated log, applied in the same order on every node. So Apply
// decides every op from replicated state alone, and what a node knows
// only locally is decided before proposing, by the proposer's node.

// replica reports whether the store is driven by a replicated log.
func (s *Store) replica() bool { return s.opts.Proposer != nil }

// checkRoom refuses, before they are proposed, the ops of a replica that
// its device has no room for: Apply does not refuse them there. It reads
// the room left by the last commit, so a write never waits for the batch
// in flight (its sync) to be proposed.
func (s *Store) checkRoom(ops []Op) error {
	if !s.replica() {
		return nil
	}
	used := s.used.Load()
	for i := range ops {
		if err := roomIn(&ops[i], s.totalBlocks, used); err != nil {
			return err
		}
	}
	return nil
}

// noteUsed records the blocks in use after a commit. The caller holds
// applyMu.
func (s *Store) noteUsed() {
	_, used := s.vol.Blocks()
	s.used.Store(used)
}

// OpenData returns the data objects being written now, each with the
// index of the batch that opened it. A new leader proposes OpDropData for
// those opened before its term: their writers were on an old leader and
// are gone.
func (s *Store) OpenData() map[uint64]uint64 {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	out := make(map[uint64]uint64, len(s.open))
	for obj, o := range s.open {
		out[obj] = o.version >> 20
	}
	return out
}
