package localstore

import "fmt"

// Blocks of data objects that readers still held when a batch released
// them are freed here, after the last reader's Close, in a commit of
// their own: it is local housekeeping (a replica decides it from its own
// readers), so it changes no replicated state and not the applied index.
// A crash before it runs loses nothing: Open frees blocks that no record
// refers to.

// pin marks data objects as read by one more reader.
func (s *Store) pin(objs []uint64) {
	if len(objs) == 0 {
		return
	}
	s.pinMu.Lock()
	for _, o := range objs {
		s.pins[o]++
	}
	s.pinMu.Unlock()
}

// unpin lets go of data objects; the last reader of a released one has it
// freed.
func (s *Store) unpin(objs []uint64) {
	if len(objs) == 0 {
		return
	}
	wake := false
	s.pinMu.Lock()
	for _, o := range objs {
		if s.pins[o]--; s.pins[o] <= 0 {
			delete(s.pins, o)
			if s.zombies[o] {
				wake = true
			}
		}
	}
	s.pinMu.Unlock()
	if wake {
		select {
		case s.reclaimCh <- struct{}{}:
		default:
		}
	}
}

// Reading reports whether a reader holds data of the store: a store
// being replaced is closed once no reader does.
func (s *Store) Reading() bool {
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	return len(s.pins) > 0
}

func (s *Store) reclaimer() {
	defer s.wg.Done()
	for {
		select {
		case <-s.closed:
			return
		case <-s.reclaimCh:
			if err := s.reclaim(); err != nil {
				s.log.Error("freeing released data", "err", err)
			}
		}
	}
}

// reclaim frees the released data objects no reader holds any more.
func (s *Store) reclaim() error {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	if s.failed != nil {
		return nil
	}
	var free []uint64
	s.pinMu.Lock()
	for o := range s.zombies {
		if s.pins[o] == 0 {
			free = append(free, o)
			delete(s.zombies, o)
		}
	}
	s.pinMu.Unlock()
	if len(free) == 0 {
		return nil
	}
	tx := s.vol.Begin()
	for _, o := range free {
		if err := s.freeData(o); err != nil {
			tx.Rollback()
			return s.fail(err)
		}
	}
	if err := s.vol.Commit(tx); err != nil {
		return s.fail(fmt.Errorf("freeing released data: %w", err))
	}
	s.noteUsed()
	return nil
}
