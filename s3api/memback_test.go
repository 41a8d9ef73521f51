package s3api_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"mapstore/s3api"
)

// memBackend is a deliberately simple in-memory s3api.Backend for testing
// the Server: one mutex around everything, objects as immutable byte
// slices (a GetObject snapshot is just the slice it got). It is a test
// twin, not product code: it keeps whole bodies in memory.
type memBackend struct {
	mu      sync.Mutex
	buckets map[string]*memBucket
	seq     uint64
}

var _ s3api.Backend = (*memBackend)(nil)

type memBucket struct {
	created time.Time
	objects map[string]*memObject
	keys    []string // sorted keys of objects
	uploads map[string]*memUpload
}

// memObject is never modified once stored.
type memObject struct {
	info  s3api.ObjectInfo
	data  []byte
	parts []int64 // part sizes of a multipart object
}

type memUpload struct {
	key       string
	id        string
	initiated time.Time
	meta      s3api.ObjectMeta
	parts     map[int]*memPart
}

type memPart struct {
	info s3api.PartInfo
	data []byte
}

func newMemBackend() *memBackend {
	return &memBackend{buckets: make(map[string]*memBucket)}
}

func (m *memBackend) bucket(name string) (*memBucket, error) {
	b, ok := m.buckets[name]
	if !ok {
		return nil, s3api.ErrNoSuchBucket
	}
	return b, nil
}

func (m *memBackend) ListBuckets(ctx context.Context) ([]s3api.BucketInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []s3api.BucketInfo
	for name, b := range m.buckets {
		out = append(out, s3api.BucketInfo{Name: name, CreationDate: b.created})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (m *memBackend) CreateBucket(ctx context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.buckets[name]; ok {
		return s3api.ErrBucketAlreadyOwnedByYou
	}
	m.buckets[name] = &memBucket{created: time.Now(), objects: map[string]*memObject{}, uploads: map[string]*memUpload{}}
	return nil
}

func (m *memBackend) DeleteBucket(ctx context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(name)
	if err != nil {
		return err
	}
	if len(b.objects) > 0 || len(b.uploads) > 0 {
		return s3api.ErrBucketNotEmpty
	}
	delete(m.buckets, name)
	return nil
}

func (m *memBackend) HeadBucket(ctx context.Context, name string) (s3api.BucketInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(name)
	if err != nil {
		return s3api.BucketInfo{}, err
	}
	return s3api.BucketInfo{Name: name, CreationDate: b.created}, nil
}

// readBody reads exactly size bytes and the EOF after them, computing the
// MD5 and, if alg is set, the additional checksum.
func readBody(body io.Reader, size int64, alg s3api.Checksum) (data []byte, etag string, sum s3api.Checksum, err error) {
	md := md5.New()
	var ck hash.Hash
	w := io.Writer(md)
	if alg.Algorithm != "" {
		ck = alg.Algorithm.New()
		w = io.MultiWriter(md, ck)
	}
	var buf bytes.Buffer
	buf.Grow(int(min(size, 1<<20)))
	n, err := io.Copy(io.MultiWriter(&buf, w), io.LimitReader(body, size+1))
	if err != nil {
		return nil, "", sum, fmt.Errorf("memback: reading body: %w", err)
	}
	if n != size {
		return nil, "", sum, s3api.ErrIncompleteBody.With(fmt.Errorf("read %d bytes, want %d", n, size))
	}
	if ck != nil {
		sum = s3api.Checksum{Algorithm: alg.Algorithm, Value: base64.StdEncoding.EncodeToString(ck.Sum(nil))}
	}
	return buf.Bytes(), s3api.ETagOf(md.Sum(nil)), sum, nil
}

func (b *memBucket) insert(key string, o *memObject) {
	if _, ok := b.objects[key]; !ok {
		i := sort.SearchStrings(b.keys, key)
		b.keys = append(b.keys, "")
		copy(b.keys[i+1:], b.keys[i:])
		b.keys[i] = key
	}
	b.objects[key] = o
}

func (b *memBucket) current(key string) *s3api.ObjectInfo {
	if o, ok := b.objects[key]; ok {
		return &o.info
	}
	return nil
}

func (m *memBackend) PutObject(ctx context.Context, bucket, key string, meta s3api.ObjectMeta, body io.Reader, size int64, cond s3api.WriteConditions) (s3api.ObjectInfo, error) {
	// Fail early on a condition that already fails; decided again below.
	m.mu.Lock()
	b, err := m.bucket(bucket)
	if err == nil {
		err = cond.Check(b.current(key))
	}
	m.mu.Unlock()
	if err != nil {
		return s3api.ObjectInfo{}, err
	}

	data, etag, sum, err := readBody(body, size, meta.Checksum)
	if err != nil {
		return s3api.ObjectInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return s3api.ObjectInfo{}, err
	}
	meta.Checksum = sum
	meta.UserMeta = cloneMap(meta.UserMeta)

	m.mu.Lock()
	defer m.mu.Unlock()
	if b, err = m.bucket(bucket); err != nil {
		return s3api.ObjectInfo{}, err
	}
	if err := cond.Check(b.current(key)); err != nil {
		return s3api.ObjectInfo{}, err
	}
	o := &memObject{data: data, info: s3api.ObjectInfo{
		Bucket: bucket, Key: key, Size: size, ETag: etag, LastModified: time.Now(), Meta: meta,
	}}
	b.insert(key, o)
	return o.info, nil
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func (o *memObject) infoCopy() s3api.ObjectInfo {
	info := o.info
	info.Meta.UserMeta = cloneMap(info.Meta.UserMeta)
	return info
}

func (m *memBackend) lookup(bucket, key string) (*memObject, error) {
	b, err := m.bucket(bucket)
	if err != nil {
		return nil, err
	}
	o, ok := b.objects[key]
	if !ok {
		return nil, s3api.ErrNoSuchKey
	}
	return o, nil
}

func (m *memBackend) GetObject(ctx context.Context, bucket, key string, opts s3api.GetOptions) (*s3api.Object, error) {
	m.mu.Lock()
	o, err := m.lookup(bucket, key)
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	obj := &s3api.Object{Info: o.infoCopy()}
	switch {
	case opts.Range != nil:
		r, err := opts.Range.Resolve(o.info.Size)
		if err != nil {
			return nil, err
		}
		obj.Range = &r
	case opts.PartNumber != 0:
		r, err := o.part(opts.PartNumber)
		if err != nil {
			return nil, err
		}
		obj.Range = &r
	}
	data := o.data
	if obj.Range != nil {
		data = data[obj.Range.Start : obj.Range.Start+obj.Range.Length]
	}
	obj.Body = io.NopCloser(bytes.NewReader(data))
	return obj, nil
}

func (o *memObject) part(n int) (s3api.ObjectRange, error) {
	if len(o.parts) == 0 {
		if n == 1 {
			return s3api.ObjectRange{Start: 0, Length: o.info.Size}, nil
		}
		return s3api.ObjectRange{}, s3api.ErrInvalidPartNumber
	}
	if n > len(o.parts) {
		return s3api.ObjectRange{}, s3api.ErrInvalidPartNumber
	}
	var start int64
	for _, sz := range o.parts[:n-1] {
		start += sz
	}
	return s3api.ObjectRange{Start: start, Length: o.parts[n-1]}, nil
}

func (m *memBackend) HeadObject(ctx context.Context, bucket, key string) (s3api.ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, err := m.lookup(bucket, key)
	if err != nil {
		return s3api.ObjectInfo{}, err
	}
	return o.infoCopy(), nil
}

func (m *memBackend) DeleteObject(ctx context.Context, bucket, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return err
	}
	if _, ok := b.objects[key]; ok {
		delete(b.objects, key)
		i := sort.SearchStrings(b.keys, key)
		b.keys = append(b.keys[:i], b.keys[i+1:]...)
	}
	return nil
}

func (m *memBackend) CopyObject(ctx context.Context, src s3api.CopySource, dst s3api.CopyDestination) (s3api.ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	so, err := m.lookup(src.Bucket, src.Key)
	if err != nil {
		return s3api.ObjectInfo{}, err
	}
	if err := src.Conditions.Check(so.info); err != nil {
		return s3api.ObjectInfo{}, err
	}
	db, err := m.bucket(dst.Bucket)
	if err != nil {
		return s3api.ObjectInfo{}, err
	}
	if err := dst.Conditions.Check(db.current(dst.Key)); err != nil {
		return s3api.ObjectInfo{}, err
	}
	meta := so.info.Meta
	if dst.Directive == s3api.MetadataReplace {
		meta = dst.Meta
		meta.Checksum = so.info.Meta.Checksum
	}
	meta.UserMeta = cloneMap(meta.UserMeta)
	o := &memObject{data: so.data, parts: so.parts, info: so.info}
	o.info.Bucket, o.info.Key, o.info.Meta, o.info.LastModified = dst.Bucket, dst.Key, meta, time.Now()
	db.insert(dst.Key, o)
	return o.infoCopy(), nil
}

// afterPrefix returns the first string greater than every string that has
// prefix p ("" if there is none).
func afterPrefix(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}

func (m *memBackend) ListObjects(ctx context.Context, bucket string, opts s3api.ListOptions) (s3api.ListResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return s3api.ListResult{}, err
	}
	var res s3api.ListResult
	keys := b.keys
	i := sort.SearchStrings(keys, max(opts.After, opts.Prefix))
	n := 0
	for i < len(keys) {
		k := keys[i]
		if !strings.HasPrefix(k, opts.Prefix) {
			break
		}
		if k <= opts.After {
			i++
			continue
		}
		entry, isPrefix := k, false
		if opts.Delimiter != "" {
			if j := strings.Index(k[len(opts.Prefix):], opts.Delimiter); j >= 0 {
				entry, isPrefix = k[:len(opts.Prefix)+j+len(opts.Delimiter)], true
			}
		}
		if isPrefix {
			// Seek past the whole common prefix: O(log n).
			next := afterPrefix(entry)
			skip := len(keys)
			if next != "" {
				skip = sort.SearchStrings(keys, next)
			}
			if entry <= opts.After {
				i = skip
				continue
			}
			if n == opts.MaxKeys {
				res.IsTruncated = true
				break
			}
			res.CommonPrefixes = append(res.CommonPrefixes, entry)
			i = skip
		} else {
			if n == opts.MaxKeys {
				res.IsTruncated = true
				break
			}
			res.Objects = append(res.Objects, b.objects[k].infoCopy())
			i++
		}
		n++
		res.Last = entry
	}
	return res, nil
}

func (m *memBackend) CreateMultipartUpload(ctx context.Context, bucket, key string, meta s3api.ObjectMeta) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return "", err
	}
	m.seq++
	id := fmt.Sprintf("%016x", m.seq)
	meta.UserMeta = cloneMap(meta.UserMeta)
	b.uploads[id] = &memUpload{key: key, id: id, initiated: time.Now(), meta: meta, parts: map[int]*memPart{}}
	return id, nil
}

func (m *memBackend) upload(bucket, key, id string) (*memBucket, *memUpload, error) {
	b, err := m.bucket(bucket)
	if err != nil {
		return nil, nil, err
	}
	u, ok := b.uploads[id]
	if !ok || u.key != key {
		return nil, nil, s3api.ErrNoSuchUpload
	}
	return b, u, nil
}

func (m *memBackend) UploadPart(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, size int64) (s3api.PartInfo, error) {
	m.mu.Lock()
	_, _, err := m.upload(bucket, key, uploadID)
	m.mu.Unlock()
	if err != nil {
		return s3api.PartInfo{}, err
	}
	data, etag, _, err := readBody(body, size, s3api.Checksum{})
	if err != nil {
		return s3api.PartInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return s3api.PartInfo{}, err
	}
	return m.storePart(bucket, key, uploadID, partNumber, data, etag)
}

func (m *memBackend) storePart(bucket, key, uploadID string, partNumber int, data []byte, etag string) (s3api.PartInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, u, err := m.upload(bucket, key, uploadID)
	if err != nil {
		return s3api.PartInfo{}, err
	}
	p := &memPart{data: data, info: s3api.PartInfo{PartNumber: partNumber, ETag: etag, Size: int64(len(data)), LastModified: time.Now()}}
	u.parts[partNumber] = p
	return p.info, nil
}

func (m *memBackend) UploadPartCopy(ctx context.Context, bucket, key, uploadID string, partNumber int, src s3api.CopySource, rng *s3api.ByteRange) (s3api.PartInfo, error) {
	m.mu.Lock()
	_, _, err := m.upload(bucket, key, uploadID)
	var so *memObject
	if err == nil {
		so, err = m.lookup(src.Bucket, src.Key)
	}
	m.mu.Unlock()
	if err != nil {
		return s3api.PartInfo{}, err
	}
	if err := src.Conditions.Check(so.info); err != nil {
		return s3api.PartInfo{}, err
	}
	data := so.data
	if rng != nil {
		r, err := rng.ResolveCopy(so.info.Size)
		if err != nil {
			return s3api.PartInfo{}, err
		}
		data = data[r.Start : r.Start+r.Length]
	}
	sum := md5.Sum(data)
	return m.storePart(bucket, key, uploadID, partNumber, data, s3api.ETagOf(sum[:]))
}

func (m *memBackend) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []s3api.CompletedPart, cond s3api.WriteConditions) (s3api.ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, u, err := m.upload(bucket, key, uploadID)
	if err != nil {
		return s3api.ObjectInfo{}, err
	}
	uploaded := make(map[int]s3api.PartInfo, len(u.parts))
	for n, p := range u.parts {
		uploaded[n] = p.info
	}
	etag, size, err := s3api.CheckCompletedParts(parts, uploaded)
	if err != nil {
		return s3api.ObjectInfo{}, err
	}
	if err := cond.Check(b.current(key)); err != nil {
		return s3api.ObjectInfo{}, err
	}
	data := make([]byte, 0, size)
	sizes := make([]int64, 0, len(parts))
	for _, p := range parts {
		data = append(data, u.parts[p.PartNumber].data...)
		sizes = append(sizes, u.parts[p.PartNumber].info.Size)
	}
	meta := u.meta
	meta.Checksum = s3api.Checksum{} // no composite checksums
	o := &memObject{data: data, parts: sizes, info: s3api.ObjectInfo{
		Bucket: bucket, Key: key, Size: size, ETag: etag, LastModified: time.Now(), Meta: meta, PartsCount: len(parts),
	}}
	b.insert(key, o)
	delete(b.uploads, uploadID)
	return o.infoCopy(), nil
}

func (m *memBackend) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, _, err := m.upload(bucket, key, uploadID)
	if err != nil {
		return err
	}
	delete(b.uploads, uploadID)
	return nil
}

func (m *memBackend) ListParts(ctx context.Context, bucket, key, uploadID string, opts s3api.ListPartsOptions) (s3api.ListPartsResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, u, err := m.upload(bucket, key, uploadID)
	if err != nil {
		return s3api.ListPartsResult{}, err
	}
	var nums []int
	for n := range u.parts {
		if n > opts.PartNumberMarker {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	res := s3api.ListPartsResult{Meta: u.meta}
	if len(nums) > opts.MaxParts {
		nums, res.IsTruncated = nums[:opts.MaxParts], true
	}
	for _, n := range nums {
		res.Parts = append(res.Parts, u.parts[n].info)
		res.NextPartNumberMarker = n
	}
	return res, nil
}

func (m *memBackend) ListMultipartUploads(ctx context.Context, bucket string, opts s3api.ListUploadsOptions) (s3api.ListUploadsResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return s3api.ListUploadsResult{}, err
	}
	var all []*memUpload
	for _, u := range b.uploads {
		if strings.HasPrefix(u.key, opts.Prefix) {
			all = append(all, u)
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].key != all[j].key {
			return all[i].key < all[j].key
		}
		return all[i].id < all[j].id
	})
	var res s3api.ListUploadsResult
	n := 0
	lastPrefix := ""
	for _, u := range all {
		if opts.KeyMarker != "" {
			if u.key < opts.KeyMarker || (u.key == opts.KeyMarker && (opts.UploadIDMarker == "" || u.id <= opts.UploadIDMarker)) {
				continue
			}
		}
		if opts.Delimiter != "" {
			if j := strings.Index(u.key[len(opts.Prefix):], opts.Delimiter); j >= 0 {
				cp := u.key[:len(opts.Prefix)+j+len(opts.Delimiter)]
				if cp == lastPrefix || cp <= opts.KeyMarker {
					continue
				}
				if n == opts.MaxUploads {
					res.IsTruncated = true
					break
				}
				res.CommonPrefixes = append(res.CommonPrefixes, cp)
				res.NextKeyMarker, res.NextUploadIDMarker = cp, ""
				lastPrefix = cp
				n++
				continue
			}
		}
		if n == opts.MaxUploads {
			res.IsTruncated = true
			break
		}
		res.Uploads = append(res.Uploads, s3api.UploadInfo{Key: u.key, UploadID: u.id, Initiated: u.initiated})
		res.NextKeyMarker, res.NextUploadIDMarker = u.key, u.id
		n++
	}
	return res, nil
}
