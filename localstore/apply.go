package localstore

import (
	"crypto/md5"
	"errors"
	"fmt"
	"maps"
	"time"

	"mapstore/localstore/volume"
	"mapstore/mmio"
	"mapstore/s3api"
	"mapstore/ssdalloc"
)

// Apply applies a batch and makes it durable, all or none, together with
// index: the batch's record changes, data block mappings and frees, and
// the applied index go through one journal commit. A batch with an index
// at or below the last applied one is skipped (nil results): replaying a
// raft log after a restart applies each entry once.
//
// Each op is decided against the state the batch's earlier ops left: an
// op refused (a failed condition, a missing bucket) gets its S3 error in
// its Result and changes nothing. An error return means the store failed
// (a device or journal error) and refuses every later change; the batch
// may or may not be durable, which reopening tells.
//
// The new state becomes visible to readers only once it is durable.
func (s *Store) Apply(b *Batch, index uint64) ([]Result, error) {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	if s.failed != nil {
		return nil, s.failed
	}
	if index <= s.applied {
		return nil, nil
	}
	p := s.pub.Load()
	a := &applier{s: s, tx: s.vol.Begin(), d: newDraft(p.st)}
	res, err := a.run(b, index)
	if err != nil {
		a.tx.Rollback()
		return nil, s.fail(err)
	}
	s.applied = index
	if _, err := a.tx.WriteAt(s.rootBytes(), s.vol.RootOffset()); err != nil {
		a.tx.Rollback()
		return nil, s.fail(fmt.Errorf("writing root: %w", err))
	}
	if err := s.vol.Commit(a.tx); err != nil {
		return nil, s.fail(err)
	}
	s.noteUsed()
	s.pub.Store(&published{st: a.d.st, next: make(chan struct{})})
	close(p.next)
	return res, nil
}

// applier applies one batch.
type applier struct {
	s        *Store
	tx       *mmio.Tx
	d        *draft
	released []uint64 // data objects no record uses any more
}

func (a *applier) run(b *Batch, index uint64) ([]Result, error) {
	s := a.s
	if len(b.Ops) >= 1<<20 {
		return nil, fmt.Errorf("%w: batch of %d ops", ErrBadOp, len(b.Ops))
	}
	est := 0
	for i := range b.Ops {
		op := &b.Ops[i]
		if op.Kind != OpWriteData {
			est += 1024 + len(op.Key) + len(op.Inline) + 64*len(op.Parts)
		}
	}
	s.allocMu.Lock()
	_, err := s.alloc.MakeRoom(a.tx, est)
	s.allocMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("making room for records: %w", err)
	}
	res := make([]Result, len(b.Ops))
	for i := range b.Ops {
		op := &b.Ops[i]
		v := index<<20 | uint64(i)
		var err error
		if op.Kind == OpWriteData {
			res[i], err = a.writeData(op)
		} else {
			s.allocMu.Lock()
			res[i], err = a.apply(op, v)
			s.allocMu.Unlock()
		}
		if err != nil {
			return nil, err
		}
	}
	return res, a.release()
}

func (a *applier) apply(op *Op, v uint64) (Result, error) {
	if err := a.roomForRecords(op); err != nil {
		a.dropRefused(op)
		return Result{Err: err}, nil
	}
	switch op.Kind {
	case OpCreateBucket:
		return a.createBucket(op, v)
	case OpDeleteBucket:
		return a.deleteBucket(op)
	case OpOpenData:
		return a.openData(v)
	case OpDropData:
		if a.s.open[op.Obj] == nil {
			return Result{Err: fmt.Errorf("%w: data object %d is not open", ErrBadOp, op.Obj)}, nil
		}
		return Result{}, a.dropData(op.Obj)
	case OpPutObject, OpCopyObject:
		return a.putObject(op, v)
	case OpDeleteObject:
		return a.deleteObject(op)
	case OpCreateUpload:
		return a.createUpload(op, v)
	case OpPutPart:
		return a.putPart(op, v)
	case OpCompleteUpload:
		return a.completeUpload(op, v)
	case OpAbortUpload:
		return a.abortUpload(op)
	}
	return Result{Err: fmt.Errorf("%w: kind %d", ErrBadOp, op.Kind)}, nil
}

// refused returns res with err, first dropping the open data object the op
// would have taken over: a refused write leaves nothing behind.
func (a *applier) refused(op *Op, err error) (Result, error) {
	return Result{Err: err}, a.dropRefused(op)
}

func (a *applier) dropRefused(op *Op) error {
	if (op.Kind == OpPutObject || op.Kind == OpPutPart) && op.Obj != 0 && a.s.open[op.Obj] != nil {
		return a.dropData(op.Obj)
	}
	return nil
}

// roomForRecords refuses an op that adds records when the device is
// nearly full: the allocator must always find blocks for its segments,
// for the records of deletes, and for cleaning.
//
// A replica never refuses for room at Apply (other replicas, with more of
// it, would accept): its proposer checked room before proposing.
func (a *applier) roomForRecords(op *Op) error {
	if a.s.replica() {
		return nil
	}
	return a.s.roomFor(op)
}

// roomFor refuses an op that adds records or data when the device is
// nearly full.
func (s *Store) roomFor(op *Op) error {
	total, used := s.vol.Blocks()
	return roomIn(op, total, used)
}

// roomIn decides whether op fits a device of total blocks, used of them
// taken.
func roomIn(op *Op, total, used int64) error {
	var need int64
	switch op.Kind {
	case OpDeleteBucket, OpDeleteObject, OpAbortUpload, OpDropData:
		return nil
	case OpWriteData:
		need = int64(len(op.Data)+volume.BlockSize-1) / volume.BlockSize
	default:
		need = int64(len(op.Inline)+len(op.Key)+64*len(op.Parts)+1024)/volume.BlockSize + 1
	}
	if total-used-need < reserveBlocks(total) {
		return s3api.ErrStorageFull
	}
	return nil
}

// reserveBlocks is how many blocks writes leave free: 1/64 of the device
// and at least 8 segments' worth, for records and cleaning.
func reserveBlocks(total int64) int64 {
	return max(total/64, 8*ssdalloc.SegmentSize/volume.BlockSize)
}

func (a *applier) createBucket(op *Op, v uint64) (Result, error) {
	if a.d.bucket(op.Bucket) != nil {
		return Result{Err: s3api.ErrBucketAlreadyOwnedByYou}, nil
	}
	r := &bucketRec{Version: v, Name: op.Bucket, Created: op.Time}
	ids, err := a.s.putRecord(a.tx, r.encode())
	if err != nil {
		return Result{}, err
	}
	a.d.st.buckets[op.Bucket] = newBucketState(r, ids)
	a.d.touched[op.Bucket] = true
	return Result{}, nil
}

func (a *applier) deleteBucket(op *Op) (Result, error) {
	b := a.d.bucket(op.Bucket)
	if b == nil {
		return Result{Err: s3api.ErrNoSuchBucket}, nil
	}
	if b.objects.Len() > 0 || b.uploads.Len() > 0 {
		return Result{Err: s3api.ErrBucketNotEmpty}, nil
	}
	if err := a.s.freeRecord(a.tx, b.recs); err != nil {
		return Result{}, err
	}
	delete(a.d.st.buckets, op.Bucket)
	return Result{}, nil
}

func (a *applier) openData(v uint64) (Result, error) {
	s := a.s
	obj := s.nextObj
	s.nextObj++
	ids, err := s.putRecord(a.tx, (&openRec{Version: v, Obj: obj}).encode())
	if err != nil {
		return Result{}, err
	}
	s.open[obj] = &openData{recs: ids, version: v}
	return Result{Obj: obj}, nil
}

// writeData writes a chunk of an open data object. Chunks come in order:
// each starts at the object's first unwritten block.
func (a *applier) writeData(op *Op) (Result, error) {
	s := a.s
	if s.open[op.Obj] == nil {
		return Result{Err: fmt.Errorf("%w: data object %d is not open", ErrBadOp, op.Obj)}, nil
	}
	if op.Block != s.blocks[op.Obj] || len(op.Data) == 0 {
		return Result{Err: fmt.Errorf("%w: chunk of %d bytes at block %d of data object %d, which has %d blocks", ErrBadOp, len(op.Data), op.Block, op.Obj, s.blocks[op.Obj])}, nil
	}
	n := int64(len(op.Data)+volume.BlockSize-1) / volume.BlockSize
	if !s.replica() {
		if err := s.roomFor(op); err != nil {
			return Result{Err: err}, nil
		}
	}
	if err := s.vol.WriteBlocks(a.tx, op.Obj, op.Block, op.Data); err != nil {
		if errors.Is(err, volume.ErrFull) && !s.replica() {
			return Result{Err: s3api.ErrStorageFull}, nil
		}
		return Result{}, err
	}
	s.blocks[op.Obj] += uint64(n)
	return Result{}, nil
}

// dropData frees an open data object: its record now, its blocks when
// the batch ends (or, if a dump holds them, when it lets go).
func (a *applier) dropData(obj uint64) error {
	s := a.s
	if err := s.freeRecord(a.tx, s.open[obj].recs); err != nil {
		return err
	}
	delete(s.open, obj)
	a.released = append(a.released, obj)
	return nil
}

// takeData makes open data object obj the body of a record of size bytes:
// its open record goes, and the caller's record refers to it.
func (a *applier) takeData(obj uint64, size int64) error {
	s := a.s
	o := s.open[obj]
	if o == nil {
		return fmt.Errorf("%w: data object %d is not open", ErrBadOp, obj)
	}
	if have := int64(s.blocks[obj]) * volume.BlockSize; size > have || size <= have-volume.BlockSize {
		return fmt.Errorf("%w: data object %d holds %d bytes of blocks, not %d bytes", ErrBadOp, obj, have, size)
	}
	if err := s.freeRecord(a.tx, o.recs); err != nil {
		return err
	}
	delete(s.open, obj)
	return nil
}

// use counts a new record's references to data objects.
func (a *applier) use(r *objectRec) {
	for _, obj := range r.dataObjects() {
		a.s.refs[obj]++
	}
}

// unuse drops a removed record's references; the data objects nothing
// uses any more are released when the batch ends.
func (a *applier) unuse(data []uint64) {
	for _, obj := range data {
		a.s.refs[obj]--
		if a.s.refs[obj] <= 0 {
			delete(a.s.refs, obj)
			a.released = append(a.released, obj)
		}
	}
}

// release frees the blocks of the data objects the batch released, or,
// for those a reader holds, marks them to be freed by the last reader's
// Close. A reader pins before it checks that its record is current, and
// the batch has already freed or replaced that record: a reader that pins
// after this check finds its record gone and lets go.
func (a *applier) release() error {
	s := a.s
	if len(a.released) == 0 {
		return nil
	}
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	for _, obj := range a.released {
		if s.refs[obj] > 0 {
			continue // used again later in the batch
		}
		if s.pins[obj] > 0 {
			s.zombies[obj] = true
			continue
		}
		if err := s.freeData(obj); err != nil {
			return err
		}
	}
	return nil
}

// freeData frees a data object's blocks in the open batch.
func (s *Store) freeData(obj uint64) error {
	if n := s.blocks[obj]; n > 0 {
		if err := s.vol.FreeBlocks(obj, 0, n); err != nil {
			return fmt.Errorf("localstore: freeing data object %d: %w", obj, err)
		}
	}
	delete(s.blocks, obj)
	return nil
}

func objectInfo(bucket string, r *objectRec) s3api.ObjectInfo {
	return s3api.ObjectInfo{Bucket: bucket, Key: r.Key, Size: r.Size, ETag: etagOf(r.MD5, r.PartsCount),
		LastModified: time.Unix(0, r.MTime).UTC(), Meta: r.Meta, PartsCount: r.PartsCount}
}

func etagOf(sum [16]byte, parts int) string {
	if parts > 0 {
		return fmt.Sprintf("\"%x-%d\"", sum, parts)
	}
	return fmt.Sprintf("\"%x\"", sum)
}

func (e *objEntry) info(bucket string) s3api.ObjectInfo {
	return s3api.ObjectInfo{Bucket: bucket, Key: e.key, Size: e.size, ETag: etagOf(e.md5, int(e.parts)),
		LastModified: time.Unix(0, e.mtime).UTC(), PartsCount: int(e.parts)}
}

// checkCond decides write conditions against the current object of key.
func checkCond(cond s3api.WriteConditions, b *bucketState, key string) error {
	if cond.IsZero() {
		return nil
	}
	return cond.Check(current(b, key))
}

// current returns the object's information for deciding conditions.
func current(b *bucketState, key string) *s3api.ObjectInfo {
	if e := b.object(key); e != nil {
		info := e.info(b.name)
		return &info
	}
	return nil
}

// readRec reads and decodes an entry's record. The caller holds allocMu.
func (s *Store) readObjectRec(recs []ssdalloc.ObjectID, version uint64) (*objectRec, error) {
	p, err := s.getRecord(recs)
	if err != nil {
		return nil, err
	}
	if len(p) == 0 || (p[0] != kindObject && p[0] != kindPart) {
		return nil, errStale
	}
	r, err := decodeObject(p)
	if err != nil {
		return nil, err
	}
	if r.Version != version {
		return nil, errStale
	}
	return r, nil
}

// errStale is a record read through a published state that a batch not
// yet published has changed.
var errStale = errors.New("localstore: record changed")

func (a *applier) putObject(op *Op, v uint64) (Result, error) {
	b := a.d.bucket(op.Bucket)
	if b == nil {
		return a.refused(op, s3api.ErrNoSuchBucket)
	}
	if err := checkCond(op.Cond, b, op.Key); err != nil {
		return a.refused(op, err)
	}
	r := &objectRec{Version: v, Bucket: op.Bucket, Key: op.Key, Size: op.Size, MTime: op.Time, MD5: op.MD5, Meta: op.Meta}
	if op.Kind == OpCopyObject {
		src, err := a.source(op.Src)
		if err != nil {
			return Result{Err: err}, nil
		}
		r.MD5, r.PartsCount, r.PartSizes, r.Size = src.MD5, src.PartsCount, src.PartSizes, src.Size
		r.Inline, r.Extents = src.Inline, src.Extents
		if !op.Src.Replace {
			r.Meta = src.Meta
		} else {
			r.Meta.Checksum = src.Meta.Checksum
		}
	} else if err := a.body(op, r); err != nil {
		return Result{}, err
	}
	ids, err := a.s.putRecord(a.tx, r.encode())
	if err != nil {
		return Result{}, err
	}
	a.use(r)
	mb := a.d.mutable(op.Bucket)
	if old, ok := mb.objects.ReplaceOrInsert(newObjEntry(r, ids)); ok {
		if err := a.removeObject(old); err != nil {
			return Result{}, err
		}
	}
	return Result{Info: objectInfo(op.Bucket, r)}, nil
}

// body sets a put's body: inline, or the open data object it takes over.
func (a *applier) body(op *Op, r *objectRec) error {
	if op.Obj == 0 {
		if int64(len(op.Inline)) != op.Size {
			return fmt.Errorf("%w: %d inline bytes for %d", ErrBadOp, len(op.Inline), op.Size)
		}
		r.Inline = op.Inline
		return nil
	}
	if err := a.takeData(op.Obj, op.Size); err != nil {
		return err
	}
	r.Extents = []extent{{Obj: op.Obj, Off: 0, Len: op.Size}}
	return nil
}

// source reads the record of the object version a copy names.
func (a *applier) source(src *CopySrc) (*objectRec, error) {
	if src == nil {
		return nil, fmt.Errorf("%w: copy without a source", ErrBadOp)
	}
	sb := a.d.bucket(src.Bucket)
	if sb == nil {
		return nil, s3api.ErrNoSuchBucket
	}
	e := sb.object(src.Key)
	if e == nil {
		return nil, s3api.ErrNoSuchKey
	}
	if e.version != src.Version {
		return nil, s3api.ErrConditionalRequestConflict.Withf("The source object changed during the copy: retry.")
	}
	r, err := a.s.readObjectRec(e.recs, e.version)
	if err != nil {
		return nil, fmt.Errorf("localstore: reading copy source %s/%s: %w", src.Bucket, src.Key, err)
	}
	return r, nil
}

// removeObject frees an object's record and releases its data.
func (a *applier) removeObject(e *objEntry) error {
	if err := a.s.freeRecord(a.tx, e.recs); err != nil {
		return err
	}
	a.unuse(e.data)
	return nil
}

func (a *applier) deleteObject(op *Op) (Result, error) {
	b := a.d.bucket(op.Bucket)
	if b == nil {
		return Result{Err: s3api.ErrNoSuchBucket}, nil
	}
	if b.object(op.Key) == nil {
		return Result{}, nil
	}
	mb := a.d.mutable(op.Bucket)
	old, _ := mb.objects.Delete(&objEntry{key: op.Key})
	return Result{}, a.removeObject(old)
}

func (a *applier) createUpload(op *Op, v uint64) (Result, error) {
	b := a.d.bucket(op.Bucket)
	if b == nil {
		return Result{Err: s3api.ErrNoSuchBucket}, nil
	}
	if op.UploadID == "" || b.upload(op.Key, op.UploadID) != nil {
		return Result{Err: fmt.Errorf("%w: upload id %q is empty or taken", ErrBadOp, op.UploadID)}, nil
	}
	r := &uploadRec{Version: v, Bucket: op.Bucket, Key: op.Key, UploadID: op.UploadID, Initiated: op.Time, Meta: op.Meta}
	ids, err := a.s.putRecord(a.tx, r.encode())
	if err != nil {
		return Result{}, err
	}
	a.d.mutable(op.Bucket).uploads.ReplaceOrInsert(newUploadEntry(r, ids))
	return Result{}, nil
}

// upload finds an upload in the draft.
func (a *applier) upload(op *Op) (*uploadEntry, error) {
	b := a.d.bucket(op.Bucket)
	if b == nil {
		return nil, s3api.ErrNoSuchBucket
	}
	u := b.upload(op.Key, op.UploadID)
	if u == nil {
		return nil, s3api.ErrNoSuchUpload
	}
	return u, nil
}

func (a *applier) putPart(op *Op, v uint64) (Result, error) {
	u, err := a.upload(op)
	if err != nil {
		return a.refused(op, err)
	}
	if op.PartNumber < 1 || op.PartNumber > s3api.MaxPartNumber {
		return a.refused(op, s3api.ErrInvalidPartNumber)
	}
	r := &objectRec{Version: v, Bucket: op.Bucket, Key: op.Key, UploadID: op.UploadID, Number: op.PartNumber,
		Size: op.Size, MTime: op.Time, MD5: op.MD5}
	if op.Src != nil {
		src, err := a.source(op.Src)
		if err != nil {
			return Result{Err: err}, nil
		}
		if op.Src.Start < 0 || op.Src.Length < 0 || op.Src.Start+op.Src.Length > src.Size || op.Size != op.Src.Length {
			return Result{Err: fmt.Errorf("%w: copy range %d+%d of %d bytes", ErrBadOp, op.Src.Start, op.Src.Length, src.Size)}, nil
		}
		r.Inline, r.Extents = clip(src, op.Src.Start, op.Src.Length)
	} else if err := a.body(op, r); err != nil {
		return Result{}, err
	}
	ids, err := a.s.putRecord(a.tx, r.encode())
	if err != nil {
		return Result{}, err
	}
	a.use(r)
	mu := mutableUpload(a.d.mutable(op.Bucket), u)
	if old, ok := mu.parts.ReplaceOrInsert(&partEntry{recs: ids, rec: r}); ok {
		if err := a.removePart(old); err != nil {
			return Result{}, err
		}
	}
	return Result{Part: partInfo(r)}, nil
}

func partInfo(r *objectRec) s3api.PartInfo {
	return s3api.PartInfo{PartNumber: r.Number, ETag: etagOf(r.MD5, 0), Size: r.Size, LastModified: time.Unix(0, r.MTime).UTC()}
}

// clip returns the body bytes [start, start+n) of r as a new body.
func clip(r *objectRec, start, n int64) ([]byte, []extent) {
	var inline []byte
	var out []extent
	pos := int64(0)
	for _, x := range r.pieces() {
		lo, hi := max(start, pos), min(start+n, pos+x.Len)
		if lo < hi {
			c := extent{Obj: x.Obj, Off: x.Off + lo - pos, Len: hi - lo}
			if x.Obj == 0 {
				c.Off = int64(len(inline))
				inline = append(inline, r.Inline[x.Off+lo-pos:x.Off+hi-pos]...)
			}
			out = append(out, c)
		}
		pos += x.Len
	}
	if len(out) == 1 && out[0].Obj == 0 {
		out = nil // wholly inline
	}
	return inline, out
}

func (a *applier) removePart(p *partEntry) error {
	if err := a.s.freeRecord(a.tx, p.recs); err != nil {
		return err
	}
	a.unuse(p.rec.dataObjects())
	return nil
}

// removeUpload frees an upload's record and its parts'.
func (a *applier) removeUpload(u *uploadEntry) error {
	var err error
	u.parts.Ascend(func(p *partEntry) bool {
		err = a.removePart(p)
		return err == nil
	})
	if err != nil {
		return err
	}
	if err := a.s.freeRecord(a.tx, u.recs); err != nil {
		return err
	}
	a.d.mutable(u.rec.Bucket).uploads.Delete(u)
	return nil
}

func (a *applier) completeUpload(op *Op, v uint64) (Result, error) {
	u, err := a.upload(op)
	if err != nil {
		return Result{Err: err}, nil
	}
	uploaded := make(map[int]s3api.PartInfo, u.parts.Len())
	u.parts.Ascend(func(p *partEntry) bool {
		uploaded[p.rec.Number] = partInfo(p.rec)
		return true
	})
	if _, _, err := s3api.CheckCompletedParts(op.Parts, uploaded); err != nil {
		return Result{Err: err}, nil
	}
	if err := checkCond(op.Cond, a.d.bucket(op.Bucket), op.Key); err != nil {
		return Result{Err: err}, nil
	}
	r := &objectRec{Version: v, Bucket: op.Bucket, Key: op.Key, MTime: op.Time, Meta: u.rec.Meta, PartsCount: len(op.Parts)}
	r.Meta.Checksum = s3api.Checksum{} // no composite checksums
	r.Meta.UserMeta = maps.Clone(r.Meta.UserMeta)
	sums := make([]byte, 0, 16*len(op.Parts))
	for _, cp := range op.Parts {
		p := u.part(cp.PartNumber).rec
		sums = append(sums, p.MD5[:]...)
		r.PartSizes = append(r.PartSizes, p.Size)
		r.Size += p.Size
		for _, x := range p.pieces() {
			if x.Obj == 0 {
				from := x.Off
				x.Off = int64(len(r.Inline))
				r.Inline = append(r.Inline, p.Inline[from:from+x.Len]...)
			}
			r.Extents = append(r.Extents, x)
		}
	}
	r.MD5 = md5.Sum(sums)
	if r.Size == 0 {
		r.Extents = nil
	}
	ids, err := a.s.putRecord(a.tx, r.encode())
	if err != nil {
		return Result{}, err
	}
	a.use(r)
	if err := a.removeUpload(u); err != nil {
		return Result{}, err
	}
	mb := a.d.mutable(op.Bucket)
	if old, ok := mb.objects.ReplaceOrInsert(newObjEntry(r, ids)); ok {
		if err := a.removeObject(old); err != nil {
			return Result{}, err
		}
	}
	return Result{Info: objectInfo(op.Bucket, r)}, nil
}

func (a *applier) abortUpload(op *Op) (Result, error) {
	u, err := a.upload(op)
	if err != nil {
		return Result{Err: err}, nil
	}
	return Result{}, a.removeUpload(u)
}
