package localstore

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"mapstore/s3api"
	"mapstore/s3api/sigv4"
)

// Record kinds: the first byte of every record's payload.
const (
	kindBucket = 1
	kindObject = 2
	kindUpload = 3
	kindPart   = 4
	kindOpen   = 5
)

// extent is a piece of an object's body: Len bytes from byte Off of data
// object Obj (whose logical block b holds its bytes [b*4096, b*4096+4096)),
// or, with Obj 0, bytes [Off, Off+Len) of the record's Inline bytes.
// Several records may share a data object (a copy, a part copied from a
// range); it is freed when the last one is gone.
type extent struct {
	Obj      uint64
	Off, Len int64
}

// bucketRec is a bucket.
type bucketRec struct {
	Version uint64
	Name    string
	Created int64 // unix nanoseconds
}

// objectRec is an object, or (with UploadID and Number set) an uploaded
// part of a multipart upload.
type objectRec struct {
	Version     uint64
	Bucket, Key string
	UploadID    string // parts only
	Number      int    // part number, parts only
	Size        int64
	MTime       int64 // unix nanoseconds
	MD5         [16]byte
	PartsCount  int // multipart objects: MD5 is the MD5 of the parts' MD5s
	Meta        s3api.ObjectMeta
	Inline      []byte   // bytes stored in the record: the whole body if Extents is empty
	Extents     []extent // the body's pieces, in order
	PartSizes   []int64  // multipart objects: the size of each part
}

// uploadRec is a multipart upload in progress.
type uploadRec struct {
	Version     uint64
	Bucket, Key string
	UploadID    string
	Initiated   int64
	Meta        s3api.ObjectMeta
}

// openRec is a data object being written: its blocks are referenced by
// no object yet. It is deleted when an object or part takes the data
// object over, or when its writer gives up.
type openRec struct {
	Version uint64
	Obj     uint64
}

// enc appends a record's fields.
type enc struct{ b []byte }

func (e *enc) u8(v uint8)   { e.b = append(e.b, v) }
func (e *enc) u32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }
func (e *enc) u64(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *enc) i64(v int64)  { e.u64(uint64(v)) }
func (e *enc) str(s string) { e.u32(uint32(len(s))); e.b = append(e.b, s...) }
func (e *enc) bytes(p []byte) {
	e.u32(uint32(len(p)))
	e.b = append(e.b, p...)
}

// dec reads a record's fields; the first error sticks.
type dec struct {
	b   []byte
	err error
}

func (d *dec) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.err = fmt.Errorf("%w: %d bytes wanted, %d left", ErrCorrupt, n, len(d.b))
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}
func (d *dec) u8() uint8 {
	if p := d.take(1); p != nil {
		return p[0]
	}
	return 0
}
func (d *dec) u32() uint32 {
	if p := d.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}
func (d *dec) u64() uint64 {
	if p := d.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}
func (d *dec) i64() int64    { return int64(d.u64()) }
func (d *dec) str() string   { return string(d.take(int(d.u32()))) }
func (d *dec) bytes() []byte { return slices.Clone(d.take(int(d.u32()))) }
func (d *dec) count(each int) int {
	n := d.u32()
	if d.err == nil && uint64(n)*uint64(each) > uint64(len(d.b)) {
		d.err = fmt.Errorf("%w: %d entries of %d bytes, %d bytes left", ErrCorrupt, n, each, len(d.b))
		return 0
	}
	return int(n)
}
func (d *dec) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %d bytes after the record", ErrCorrupt, len(d.b))
	}
	return d.err
}

func encodeMeta(e *enc, m *s3api.ObjectMeta) {
	for _, s := range []string{m.ContentType, m.ContentEncoding, m.ContentDisposition, m.ContentLanguage, m.CacheControl, m.Expires, string(m.Checksum.Algorithm), m.Checksum.Value} {
		e.str(s)
	}
	keys := make([]string, 0, len(m.UserMeta))
	for k := range m.UserMeta {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic bytes for the same metadata
	e.u32(uint32(len(keys)))
	for _, k := range keys {
		e.str(k)
		e.str(m.UserMeta[k])
	}
}

func decodeMeta(d *dec) s3api.ObjectMeta {
	var m s3api.ObjectMeta
	for _, p := range []*string{&m.ContentType, &m.ContentEncoding, &m.ContentDisposition, &m.ContentLanguage, &m.CacheControl, &m.Expires} {
		*p = d.str()
	}
	m.Checksum.Algorithm = sigv4.ChecksumAlgorithm(d.str())
	m.Checksum.Value = d.str()
	if n := d.count(8); n > 0 {
		m.UserMeta = make(map[string]string, n)
		for range n {
			k := d.str()
			m.UserMeta[k] = d.str()
		}
	}
	return m
}

func (r *bucketRec) encode() []byte {
	e := enc{b: make([]byte, 0, 32+len(r.Name))}
	e.u8(kindBucket)
	e.u64(r.Version)
	e.str(r.Name)
	e.i64(r.Created)
	return e.b
}

func decodeBucket(p []byte) (*bucketRec, error) {
	d := dec{b: p[1:]}
	r := &bucketRec{Version: d.u64(), Name: d.str(), Created: d.i64()}
	return r, d.done()
}

func (r *objectRec) kind() uint8 {
	if r.UploadID != "" {
		return kindPart
	}
	return kindObject
}

func (r *objectRec) encode() []byte {
	e := enc{b: make([]byte, 0, 128+len(r.Key)+len(r.Inline)+24*len(r.Extents)+8*len(r.PartSizes))}
	e.u8(r.kind())
	e.u64(r.Version)
	e.str(r.Bucket)
	e.str(r.Key)
	e.str(r.UploadID)
	e.u32(uint32(r.Number))
	e.i64(r.Size)
	e.i64(r.MTime)
	e.b = append(e.b, r.MD5[:]...)
	e.u32(uint32(r.PartsCount))
	encodeMeta(&e, &r.Meta)
	e.bytes(r.Inline)
	e.u32(uint32(len(r.Extents)))
	for _, x := range r.Extents {
		e.u64(x.Obj)
		e.i64(x.Off)
		e.i64(x.Len)
	}
	e.u32(uint32(len(r.PartSizes)))
	for _, s := range r.PartSizes {
		e.i64(s)
	}
	return e.b
}

func decodeObject(p []byte) (*objectRec, error) {
	d := dec{b: p[1:]}
	r := &objectRec{Version: d.u64(), Bucket: d.str(), Key: d.str(), UploadID: d.str(), Number: int(d.u32()),
		Size: d.i64(), MTime: d.i64()}
	copy(r.MD5[:], d.take(16))
	r.PartsCount = int(d.u32())
	r.Meta = decodeMeta(&d)
	r.Inline = d.bytes()
	if n := d.count(24); n > 0 {
		r.Extents = make([]extent, n)
		for i := range r.Extents {
			r.Extents[i] = extent{Obj: d.u64(), Off: d.i64(), Len: d.i64()}
		}
	}
	if n := d.count(8); n > 0 {
		r.PartSizes = make([]int64, n)
		for i := range r.PartSizes {
			r.PartSizes[i] = d.i64()
		}
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	if (p[0] == kindPart) != (r.UploadID != "") {
		return nil, fmt.Errorf("%w: kind %d with upload id %q", ErrCorrupt, p[0], r.UploadID)
	}
	return r, r.check()
}

// check verifies that the body's pieces add up to its size.
func (r *objectRec) check() error {
	if len(r.Extents) == 0 {
		if int64(len(r.Inline)) != r.Size {
			return fmt.Errorf("%w: %s/%s: %d inline bytes for %d bytes", ErrCorrupt, r.Bucket, r.Key, len(r.Inline), r.Size)
		}
	} else {
		sum := int64(0)
		for _, x := range r.Extents {
			if x.Off < 0 || x.Len <= 0 || x.Off > math.MaxInt64-x.Len || (x.Obj == 0 && x.Off+x.Len > int64(len(r.Inline))) {
				return fmt.Errorf("%w: %s/%s: extent %+v", ErrCorrupt, r.Bucket, r.Key, x)
			}
			sum += x.Len
		}
		if sum != r.Size {
			return fmt.Errorf("%w: %s/%s: extents of %d bytes for %d bytes", ErrCorrupt, r.Bucket, r.Key, sum, r.Size)
		}
	}
	if len(r.PartSizes) != r.PartsCount {
		return fmt.Errorf("%w: %s/%s: %d part sizes for %d parts", ErrCorrupt, r.Bucket, r.Key, len(r.PartSizes), r.PartsCount)
	}
	return nil
}

// pieces returns the body as extents (an inline body as one extent of
// data object 0).
func (r *objectRec) pieces() []extent {
	if len(r.Extents) == 0 && r.Size > 0 {
		return []extent{{Obj: 0, Off: 0, Len: r.Size}}
	}
	return r.Extents
}

// dataObjects returns the distinct data objects the body uses.
func (r *objectRec) dataObjects() []uint64 {
	var out []uint64
	for _, x := range r.Extents {
		if x.Obj != 0 && !slices.Contains(out, x.Obj) {
			out = append(out, x.Obj)
		}
	}
	return out
}

func (r *uploadRec) encode() []byte {
	e := enc{b: make([]byte, 0, 128+len(r.Key))}
	e.u8(kindUpload)
	e.u64(r.Version)
	e.str(r.Bucket)
	e.str(r.Key)
	e.str(r.UploadID)
	e.i64(r.Initiated)
	encodeMeta(&e, &r.Meta)
	return e.b
}

func decodeUpload(p []byte) (*uploadRec, error) {
	d := dec{b: p[1:]}
	r := &uploadRec{Version: d.u64(), Bucket: d.str(), Key: d.str(), UploadID: d.str(), Initiated: d.i64()}
	r.Meta = decodeMeta(&d)
	return r, d.done()
}

func (r *openRec) encode() []byte {
	e := enc{b: make([]byte, 0, 17)}
	e.u8(kindOpen)
	e.u64(r.Version)
	e.u64(r.Obj)
	return e.b
}

func decodeOpen(p []byte) (*openRec, error) {
	d := dec{b: p[1:]}
	r := &openRec{Version: d.u64(), Obj: d.u64()}
	return r, d.done()
}
