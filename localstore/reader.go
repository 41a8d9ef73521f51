package localstore

import (
	"context"
	"errors"
	"fmt"
	"io"

	"mapstore/localstore/volume"
	"mapstore/s3api"
	"mapstore/ssdalloc"
)

// Reads are immutable snapshots (SubZero's peek). A reader looks the
// object up in the published state, pins the data objects its body uses,
// and reads its record. If a batch not yet published has freed or reused
// that record, the version check fails and the reader waits for that
// batch to be published and looks again; otherwise the pins keep the body's
// blocks from being freed until the reader closes, whatever is deleted or
// overwritten meanwhile.

// maxStaleRetries bounds the look-ups of one read.
const maxStaleRetries = 64

// snapshot returns the current record of bucket/key with, if pin is set,
// its data objects pinned: the caller then unpins e.data. (HEAD needs
// only the record, not the blocks.)
func (s *Store) snapshot(ctx context.Context, bucket, key string, pin bool) (*objectRec, *objEntry, error) {
	for range maxStaleRetries {
		p := s.pub.Load()
		b := p.st.buckets[bucket]
		if b == nil {
			return nil, nil, s3api.ErrNoSuchBucket
		}
		e := b.object(key)
		if e == nil {
			return nil, nil, s3api.ErrNoSuchKey
		}
		if pin {
			s.pin(e.data)
		}
		s.allocMu.RLock()
		r, err := s.readObjectRec(e.recs, e.version)
		s.allocMu.RUnlock()
		if err == nil && (r.Bucket != bucket || r.Key != key || r.UploadID != "") {
			err = errStale
		}
		if err == nil {
			return r, e, nil
		}
		if pin {
			s.unpin(e.data)
		}
		if !errors.Is(err, errStale) && !errors.Is(err, ssdalloc.ErrBadID) {
			return nil, nil, fmt.Errorf("localstore: reading %s/%s: %w", bucket, key, err)
		}
		select {
		case <-p.next:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
	return nil, nil, fmt.Errorf("localstore: reading %s/%s: the object kept changing", bucket, key)
}

// HeadObject returns an object's information.
func (s *Store) HeadObject(ctx context.Context, bucket, key string) (s3api.ObjectInfo, error) {
	r, _, err := s.snapshot(ctx, bucket, key, false)
	if err != nil {
		return s3api.ObjectInfo{}, err
	}
	return objectInfo(bucket, r), nil
}

// GetObject opens a snapshot of an object's bytes.
func (s *Store) GetObject(ctx context.Context, bucket, key string, opts s3api.GetOptions) (*s3api.Object, error) {
	r, e, err := s.snapshot(ctx, bucket, key, true)
	if err != nil {
		return nil, err
	}
	o := &s3api.Object{Info: objectInfo(bucket, r)}
	start, length := int64(0), r.Size
	switch {
	case opts.Range != nil:
		rng, err := opts.Range.Resolve(r.Size)
		if err != nil {
			s.unpin(e.data)
			return nil, err
		}
		start, length = rng.Start, rng.Length
		o.Range = &s3api.ObjectRange{Start: start, Length: length}
	case opts.PartNumber != 0:
		if opts.PartNumber > max(r.PartsCount, 1) {
			s.unpin(e.data)
			return nil, s3api.ErrInvalidPartNumber
		}
		if r.PartsCount > 0 {
			for _, sz := range r.PartSizes[:opts.PartNumber-1] {
				start += sz
			}
			length = r.PartSizes[opts.PartNumber-1]
		}
		o.Range = &s3api.ObjectRange{Start: start, Length: length}
	}
	o.Body = &objectReader{s: s, r: r, pieces: r.pieces(), pos: start, end: start + length, pinned: e.data}
	return o, nil
}

// objectReader reads bytes [pos, end) of a snapshot's body.
type objectReader struct {
	s      *Store
	r      *objectRec
	pieces []extent
	pos    int64
	end    int64
	pinned []uint64
	closed bool

	// The body's current piece: index, and its first byte in the body.
	pi    int
	pbase int64
	// A window of a data object read from the device.
	buf    *[]byte
	winObj uint64
	winOff int64 // the data object's offset of buf[0]
	winLen int

	// The next window, being read while this one is consumed.
	ahead    chan window
	aheadObj uint64
	aheadOff int64
}

// window is a read of a data object's bytes [off, off+n) into buf.
type window struct {
	buf *[]byte
	n   int
	err error
}

func (o *objectReader) Read(p []byte) (int, error) {
	if o.closed {
		return 0, errors.New("localstore: read of a closed object")
	}
	if o.pos >= o.end {
		return 0, io.EOF
	}
	for o.pos >= o.pbase+o.pieces[o.pi].Len {
		o.pbase += o.pieces[o.pi].Len
		o.pi++
	}
	x := o.pieces[o.pi]
	rel := o.pos - o.pbase
	n := min(int64(len(p)), x.Len-rel, o.end-o.pos)
	if x.Obj == 0 {
		copy(p, o.r.Inline[x.Off+rel:x.Off+rel+n])
	} else {
		off := x.Off + rel
		if o.buf == nil || o.winObj != x.Obj || off < o.winOff || off >= o.winOff+int64(o.winLen) {
			if err := o.fill(x, off); err != nil {
				return 0, err
			}
		}
		n = min(n, o.winOff+int64(o.winLen)-off)
		copy(p, (*o.buf)[off-o.winOff:off-o.winOff+n])
	}
	o.pos += n
	return int(n), nil
}

// fill makes the window of data object x.Obj holding byte off current:
// from its block to the end of its 1 MiB run, the piece or the read. The
// window after it in the piece is read ahead, in the background, so the
// device works while the client takes this one: an object's runs are
// scattered over the device, and the kernel's read-ahead cannot guess
// where the next one is.
func (o *objectReader) fill(x extent, off int64) error {
	start := off &^ (volume.BlockSize - 1)
	limit := min(x.Off+x.Len, o.end-o.pos+off) // the piece's and the read's end
	if o.ahead != nil && o.aheadObj == x.Obj && o.aheadOff == start {
		w := <-o.ahead
		o.ahead = nil
		if w.err != nil {
			chunkPool.Put(w.buf)
			return w.err
		}
		if o.buf != nil {
			chunkPool.Put(o.buf)
		}
		o.buf, o.winObj, o.winOff, o.winLen = w.buf, x.Obj, start, w.n
	} else {
		o.dropAhead()
		if o.buf == nil {
			o.buf = chunkPool.Get().(*[]byte)
		}
		n := min(chunkSize-start%chunkSize, limit-start)
		if err := o.read(x.Obj, start, (*o.buf)[:n]); err != nil {
			return err
		}
		o.winObj, o.winOff, o.winLen = x.Obj, start, int(n)
	}
	if next := o.winOff + int64(o.winLen); next < limit {
		n := min(chunkSize, limit-next)
		buf := chunkPool.Get().(*[]byte)
		ch := make(chan window, 1)
		o.ahead, o.aheadObj, o.aheadOff = ch, x.Obj, next
		go func() {
			err := o.read(x.Obj, next, (*buf)[:n])
			ch <- window{buf: buf, n: int(n), err: err}
		}()
	}
	return nil
}

func (o *objectReader) read(obj uint64, off int64, p []byte) error {
	if err := o.s.vol.ReadBlocks(obj, uint64(off/volume.BlockSize), p); err != nil {
		return fmt.Errorf("localstore: reading %s/%s: %w", o.r.Bucket, o.r.Key, err)
	}
	return nil
}

// dropAhead waits for a read ahead that will not be used and gives its
// buffer back: the pins must outlive every read of the blocks.
func (o *objectReader) dropAhead() {
	if o.ahead != nil {
		w := <-o.ahead
		chunkPool.Put(w.buf)
		o.ahead = nil
	}
}

// Close releases the snapshot.
func (o *objectReader) Close() error {
	if o.closed {
		return nil
	}
	o.closed = true
	o.dropAhead()
	if o.buf != nil {
		chunkPool.Put(o.buf)
		o.buf = nil
	}
	o.s.unpin(o.pinned)
	return nil
}
