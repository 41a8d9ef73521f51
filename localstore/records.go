package localstore

import (
	"fmt"
	"slices"

	"mapstore/mmio"
	"mapstore/ssdalloc"
)

// putRecord stores payload as one allocator object, or as a chain when it
// does not fit one, and returns the objects' ids, head first. The caller
// holds allocMu.
func (s *Store) putRecord(tx *mmio.Tx, payload []byte) ([]ssdalloc.ObjectID, error) {
	head, pieces := splitPayload(payload)
	ids := make([]ssdalloc.ObjectID, 1, 1+len(pieces))
	for _, p := range pieces {
		id, err := s.storeFrame(tx, encodePiece(p))
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	var f []byte
	if len(pieces) == 0 {
		f = encodeWhole(head)
	} else {
		f = encodeHead(ids[1:], head)
	}
	id, err := s.storeFrame(tx, f)
	if err != nil {
		return nil, err
	}
	ids[0] = id
	return ids, nil
}

func (s *Store) storeFrame(tx *mmio.Tx, f []byte) (ssdalloc.ObjectID, error) {
	id, err := s.alloc.Alloc(tx, len(f))
	if err != nil {
		return 0, fmt.Errorf("localstore: allocating a record of %d bytes: %w", len(f), err)
	}
	if _, err := s.alloc.Store(tx, id, f); err != nil {
		return 0, fmt.Errorf("localstore: storing record %d: %w", id, err)
	}
	return id, nil
}

// freeRecord frees a record's objects. The caller holds allocMu.
func (s *Store) freeRecord(tx *mmio.Tx, ids []ssdalloc.ObjectID) error {
	for _, id := range ids {
		if err := s.alloc.Free(tx, id); err != nil {
			return fmt.Errorf("localstore: freeing record %d: %w", id, err)
		}
	}
	return nil
}

// getRecord reads a record's payload. The caller holds allocMu (either
// way). An id that no longer holds the record the caller expects (freed,
// or reused by a batch not yet published) gives an error or another
// record: callers check the version.
func (s *Store) getRecord(ids []ssdalloc.ObjectID) ([]byte, error) {
	f, err := s.alloc.Read(ids[0])
	if err != nil {
		return nil, err
	}
	if len(f) == 0 {
		return nil, fmt.Errorf("%w: empty record %d", ErrCorrupt, ids[0])
	}
	switch f[0] {
	case frameWhole:
		if len(ids) != 1 {
			return nil, fmt.Errorf("%w: record %d is whole, %d pieces expected", ErrCorrupt, ids[0], len(ids)-1)
		}
		return f[1:], nil
	case frameHead:
		pieces, part, err := parseHead(f)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(pieces, ids[1:]) {
			return nil, fmt.Errorf("%w: record %d lists other pieces", ErrCorrupt, ids[0])
		}
		payload := slices.Clone(part)
		for _, id := range pieces {
			p, err := s.alloc.Read(id)
			if err != nil {
				return nil, err
			}
			if len(p) == 0 || p[0] != framePiece {
				return nil, fmt.Errorf("%w: record %d is not a piece", ErrCorrupt, id)
			}
			payload = append(payload, p[1:]...)
		}
		return payload, nil
	}
	return nil, fmt.Errorf("%w: record %d: frame type %d", ErrCorrupt, ids[0], f[0])
}
