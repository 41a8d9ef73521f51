package localstore

import (
	"maps"
	"strings"

	"github.com/google/btree"

	"mapstore/ssdalloc"
)

// The in-memory state: every bucket, with its objects and uploads in
// B-trees ordered by key. It is what listings and lookups read, and it is
// copy-on-write: a batch changes a clone (btree.Clone shares every node
// until one side writes it), and the clone is published only after the
// batch is durable. Readers load the published state with one atomic load
// and never wait for a batch, and nothing a batch has not yet made durable
// is ever visible.

const btreeDegree = 32

// state is one version of the whole index. A published state is never
// changed.
type state struct {
	buckets map[string]*bucketState
}

// bucketState is a bucket and what it holds.
type bucketState struct {
	name    string
	created int64
	version uint64
	recs    []ssdalloc.ObjectID
	objects *btree.BTreeG[*objEntry]
	uploads *btree.BTreeG[*uploadEntry]
}

// objEntry is an object as the index keeps it: enough to list it, and
// where its record is for the rest.
type objEntry struct {
	key     string
	version uint64
	recs    []ssdalloc.ObjectID // the record's frames, head first
	size    int64
	md5     [16]byte
	parts   int32
	mtime   int64
	data    []uint64 // data objects the body uses
}

// uploadEntry is a multipart upload in progress, with its parts.
type uploadEntry struct {
	key, id   string
	version   uint64
	recs      []ssdalloc.ObjectID
	initiated int64
	rec       *uploadRec
	parts     *btree.BTreeG[*partEntry]
}

// partEntry is an uploaded part. Its record is kept whole in memory: a
// completion needs every part's pieces at once.
type partEntry struct {
	recs []ssdalloc.ObjectID
	rec  *objectRec
}

func objLess(a, b *objEntry) bool { return a.key < b.key }
func uploadLess(a, b *uploadEntry) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	return a.id < b.id
}
func partLess(a, b *partEntry) bool { return a.rec.Number < b.rec.Number }

func newBucketState(r *bucketRec, recs []ssdalloc.ObjectID) *bucketState {
	return &bucketState{
		name: r.Name, created: r.Created, version: r.Version, recs: recs,
		objects: btree.NewG(btreeDegree, objLess),
		uploads: btree.NewG(btreeDegree, uploadLess),
	}
}

func newUploadEntry(r *uploadRec, recs []ssdalloc.ObjectID) *uploadEntry {
	return &uploadEntry{key: r.Key, id: r.UploadID, version: r.Version, recs: recs, initiated: r.Initiated, rec: r,
		parts: btree.NewG(btreeDegree, partLess)}
}

func (b *bucketState) object(key string) *objEntry {
	e, _ := b.objects.Get(&objEntry{key: key})
	return e
}

func (b *bucketState) upload(key, id string) *uploadEntry {
	u, _ := b.uploads.Get(&uploadEntry{key: key, id: id})
	return u
}

func (u *uploadEntry) part(n int) *partEntry {
	p, _ := u.parts.Get(&partEntry{rec: &objectRec{Number: n}})
	return p
}

// draft is the state a batch changes: a clone of the published state,
// whose buckets are cloned the first time the batch changes them.
type draft struct {
	base    *state
	st      *state
	touched map[string]bool
}

func newDraft(base *state) *draft {
	return &draft{base: base, st: &state{buckets: maps.Clone(base.buckets)}, touched: map[string]bool{}}
}

// bucket returns the draft's bucket for reading.
func (d *draft) bucket(name string) *bucketState { return d.st.buckets[name] }

// mutable returns the draft's bucket for changing it.
func (d *draft) mutable(name string) *bucketState {
	b := d.st.buckets[name]
	if b == nil || d.touched[name] {
		return b
	}
	c := *b
	c.objects = b.objects.Clone()
	c.uploads = b.uploads.Clone()
	d.st.buckets[name] = &c
	d.touched[name] = true
	return &c
}

// mutableUpload returns a copy of an upload for changing it, put in its
// bucket's tree in place of the published one.
func mutableUpload(b *bucketState, u *uploadEntry) *uploadEntry {
	c := *u
	c.parts = u.parts.Clone()
	b.uploads.ReplaceOrInsert(&c)
	return &c
}

// prefixEnd returns the least string greater than every string with
// prefix p, or "" if there is none (p is all 0xff bytes).
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}

// commonPrefix returns the common prefix key rolls up into, or "".
func commonPrefix(key, prefix, delim string) string {
	if delim == "" {
		return ""
	}
	if i := strings.Index(key[len(prefix):], delim); i >= 0 {
		return key[:len(prefix)+i+len(delim)]
	}
	return ""
}
