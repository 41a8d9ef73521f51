package localstore

import (
	"fmt"
	"slices"
	"time"

	"mapstore/ssdalloc"
)

// load rebuilds the in-memory state from the records (one sequential scan
// of the allocator's log), frees the blocks no record refers to (objects
// deleted while a reader held them, bodies whose writer crashed), and, as
// a single node, drops the data objects whose writers are gone.
func (s *Store) load() error {
	start := time.Now()
	fresh, err := s.readRoot()
	if err != nil {
		return err
	}
	if fresh {
		s.nextObj = firstDataObject
		tx := s.vol.Begin()
		if _, err := tx.WriteAt(s.rootBytes(), s.vol.RootOffset()); err != nil {
			tx.Rollback()
			return fmt.Errorf("localstore: writing root: %w", err)
		}
		if err := s.vol.Commit(tx); err != nil {
			return fmt.Errorf("localstore: creating store: %w", err)
		}
	}

	// Frames: whole records at once, chained ones once all pieces are in.
	type head struct {
		id     ssdalloc.ObjectID
		pieces []ssdalloc.ObjectID
		part   []byte
	}
	var heads []head
	pieces := map[ssdalloc.ObjectID][]byte{}
	var recs []loaded
	err = s.alloc.Scan(func(id ssdalloc.ObjectID, f []byte) error {
		if len(f) == 0 {
			return fmt.Errorf("%w: empty record %d", ErrCorrupt, id)
		}
		switch f[0] {
		case frameWhole:
			r, err := decodeRecord(f[1:])
			if err != nil {
				return fmt.Errorf("record %d: %w", id, err)
			}
			recs = append(recs, loaded{recs: []ssdalloc.ObjectID{id}, rec: r})
		case frameHead:
			ids, part, err := parseHead(f)
			if err != nil {
				return fmt.Errorf("record %d: %w", id, err)
			}
			heads = append(heads, head{id: id, pieces: ids, part: slices.Clone(part)})
		case framePiece:
			pieces[id] = slices.Clone(f[1:])
		default:
			return fmt.Errorf("%w: record %d: frame type %d", ErrCorrupt, id, f[0])
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("localstore: scanning records: %w", err)
	}
	for _, h := range heads {
		payload := h.part
		for _, p := range h.pieces {
			b, ok := pieces[p]
			if !ok {
				return fmt.Errorf("%w: record %d: piece %d missing", ErrCorrupt, h.id, p)
			}
			payload = append(payload, b...)
			delete(pieces, p)
		}
		r, err := decodeRecord(payload)
		if err != nil {
			return fmt.Errorf("record %d: %w", h.id, err)
		}
		recs = append(recs, loaded{recs: append([]ssdalloc.ObjectID{h.id}, h.pieces...), rec: r})
	}
	if len(pieces) > 0 {
		return fmt.Errorf("%w: %d record pieces belong to no record", ErrCorrupt, len(pieces))
	}
	st, err := s.rebuild(recs)
	if err != nil {
		return err
	}
	s.pub.Store(&published{st: st, next: make(chan struct{})})
	defer s.noteUsed() // after the frees below

	// Blocks: every data object's count, then the ones nothing refers to.
	s.vol.EachBlock(func(obj, block uint64) {
		s.blocks[obj] = max(s.blocks[obj], block+1)
	})
	var orphans []uint64
	for obj := range s.blocks {
		if s.refs[obj] == 0 && s.open[obj] == nil {
			orphans = append(orphans, obj)
		}
	}
	drop := s.open
	if s.replica() {
		drop = nil // their writers may live on: the leader decides
	}
	openData := len(drop)
	if len(orphans) > 0 || openData > 0 {
		if err := s.dropUnreferenced(orphans, drop); err != nil {
			return err
		}
	}
	objects := 0
	for _, b := range st.buckets {
		objects += b.objects.Len()
	}
	total, used := s.vol.Blocks()
	s.log.Info("store opened", "dir", s.opts.Dir, "buckets", len(st.buckets), "objects", objects,
		"applied", s.applied, "blocks", total, "blocks_used", used,
		"freed_unreferenced", len(orphans), "dropped_unfinished", openData, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// loaded is a record read at start.
type loaded struct {
	recs []ssdalloc.ObjectID
	rec  any
}

// firstDataObject is the first id data objects get.
const firstDataObject = 1 << 20

func decodeRecord(p []byte) (any, error) {
	if len(p) == 0 {
		return nil, fmt.Errorf("%w: empty payload", ErrCorrupt)
	}
	switch p[0] {
	case kindBucket:
		return decodeBucket(p)
	case kindObject, kindPart:
		return decodeObject(p)
	case kindUpload:
		return decodeUpload(p)
	case kindOpen:
		return decodeOpen(p)
	}
	return nil, fmt.Errorf("%w: record kind %d", ErrCorrupt, p[0])
}

// rebuild makes the state from the records, and the reference counts of
// data objects.
func (s *Store) rebuild(recs []loaded) (*state, error) {
	st := &state{buckets: map[string]*bucketState{}}
	for _, l := range recs {
		if r, ok := l.rec.(*bucketRec); ok {
			if st.buckets[r.Name] != nil {
				return nil, fmt.Errorf("%w: bucket %q recorded twice", ErrCorrupt, r.Name)
			}
			st.buckets[r.Name] = newBucketState(r, l.recs)
		}
	}
	for _, l := range recs {
		if r, ok := l.rec.(*uploadRec); ok {
			b := st.buckets[r.Bucket]
			if b == nil {
				return nil, fmt.Errorf("%w: upload %q of bucket %q, which does not exist", ErrCorrupt, r.UploadID, r.Bucket)
			}
			if _, dup := b.uploads.ReplaceOrInsert(newUploadEntry(r, l.recs)); dup {
				return nil, fmt.Errorf("%w: upload %q recorded twice", ErrCorrupt, r.UploadID)
			}
		}
	}
	for _, l := range recs {
		switch r := l.rec.(type) {
		case *objectRec:
			b := st.buckets[r.Bucket]
			if b == nil {
				return nil, fmt.Errorf("%w: object %q of bucket %q, which does not exist", ErrCorrupt, r.Key, r.Bucket)
			}
			for _, obj := range r.dataObjects() {
				s.refs[obj]++
			}
			if r.UploadID != "" {
				u := b.upload(r.Key, r.UploadID)
				if u == nil {
					return nil, fmt.Errorf("%w: part %d of upload %q, which does not exist", ErrCorrupt, r.Number, r.UploadID)
				}
				if _, dup := u.parts.ReplaceOrInsert(&partEntry{recs: l.recs, rec: r}); dup {
					return nil, fmt.Errorf("%w: part %d of upload %q recorded twice", ErrCorrupt, r.Number, r.UploadID)
				}
				continue
			}
			if _, dup := b.objects.ReplaceOrInsert(newObjEntry(r, l.recs)); dup {
				return nil, fmt.Errorf("%w: object %q/%q recorded twice", ErrCorrupt, r.Bucket, r.Key)
			}
		case *openRec:
			if s.open[r.Obj] != nil {
				return nil, fmt.Errorf("%w: data object %d open twice", ErrCorrupt, r.Obj)
			}
			s.open[r.Obj] = &openData{recs: l.recs, version: r.Version}
		}
	}
	return st, nil
}

func newObjEntry(r *objectRec, recs []ssdalloc.ObjectID) *objEntry {
	return &objEntry{key: r.Key, version: r.Version, recs: recs, size: r.Size, md5: r.MD5,
		parts: int32(r.PartsCount), mtime: r.MTime, data: r.dataObjects()}
}

// dropUnreferenced frees the blocks of orphans and, with their records,
// the open data objects given: on a single node all of them, for this
// node alone writes into them, and their writers did not survive the
// restart. It is local
// housekeeping, not a replicated change: the applied index stays. A
// replica keeps its open data objects: their writer may be the leader on
// another node, and the leader drops those abandoned.
func (s *Store) dropUnreferenced(orphans []uint64, open map[uint64]*openData) error {
	tx := s.vol.Begin()
	for _, obj := range orphans {
		if err := s.vol.FreeBlocks(obj, 0, s.blocks[obj]); err != nil {
			tx.Rollback()
			return fmt.Errorf("localstore: freeing unreferenced data object %d: %w", obj, err)
		}
		delete(s.blocks, obj)
	}
	for obj, o := range open {
		for _, id := range o.recs {
			if err := s.alloc.Free(tx, id); err != nil {
				tx.Rollback()
				return fmt.Errorf("localstore: dropping open data object %d: %w", obj, err)
			}
		}
		if n := s.blocks[obj]; n > 0 {
			if err := s.vol.FreeBlocks(obj, 0, n); err != nil {
				tx.Rollback()
				return fmt.Errorf("localstore: dropping open data object %d: %w", obj, err)
			}
		}
		delete(s.blocks, obj)
		delete(s.open, obj)
	}
	if err := s.vol.Commit(tx); err != nil {
		return fmt.Errorf("localstore: freeing unreferenced data: %w", err)
	}
	return nil
}
