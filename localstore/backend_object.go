package localstore

import (
	"context"
	"errors"
	"io"
	"maps"

	"mapstore/s3api"
)

// PutObject stores an object from body.
func (s *Store) PutObject(ctx context.Context, bucket, key string, meta s3api.ObjectMeta, body io.Reader, size int64, cond s3api.WriteConditions) (s3api.ObjectInfo, error) {
	// Fail early on what already fails; decided again when publishing.
	b := s.pub.Load().st.buckets[bucket]
	if b == nil {
		return s3api.ObjectInfo{}, s3api.ErrNoSuchBucket
	}
	if err := checkCond(cond, b, key); err != nil {
		return s3api.ObjectInfo{}, err
	}
	rcv, err := s.receive(ctx, body, size, meta.Checksum.Algorithm)
	if err != nil {
		return s3api.ObjectInfo{}, err
	}
	meta.Checksum = rcv.sum
	meta.UserMeta = maps.Clone(meta.UserMeta)
	op := Op{Kind: OpPutObject, Bucket: bucket, Key: key, Time: s.now(), Cond: cond, Meta: meta,
		Size: size, MD5: rcv.md5, Inline: rcv.inline, Obj: rcv.obj}
	// Once the body is in, the publish goes ahead even if the client has
	// gone: it is one small op, and the data object must be taken or dropped.
	res, err := s.oneResult(context.WithoutCancel(ctx), op)
	if err != nil {
		return s3api.ObjectInfo{}, err
	}
	return res.Info, res.Err
}

// DeleteObject removes an object.
func (s *Store) DeleteObject(ctx context.Context, bucket, key string) error {
	return s.one(ctx, Op{Kind: OpDeleteObject, Bucket: bucket, Key: key})
}

// maxCopyRetries bounds the retries of a copy whose source changes
// between its snapshot and its publish.
const maxCopyRetries = 8

// CopyObject copies src to dst. The copy shares the source's data objects
// (reference counted): no byte is copied, whatever the size.
func (s *Store) CopyObject(ctx context.Context, src s3api.CopySource, dst s3api.CopyDestination) (s3api.ObjectInfo, error) {
	if s.pub.Load().st.buckets[dst.Bucket] == nil {
		return s3api.ObjectInfo{}, s3api.ErrNoSuchBucket
	}
	for try := 0; ; try++ {
		// No pin: the copy reads no data, and Apply checks that the
		// version it shares is still current.
		r, e, err := s.snapshot(ctx, src.Bucket, src.Key, false)
		if err != nil {
			return s3api.ObjectInfo{}, err
		}
		if err := src.Conditions.Check(objectInfo(src.Bucket, r)); err != nil {
			return s3api.ObjectInfo{}, err
		}
		meta := dst.Meta
		meta.UserMeta = maps.Clone(meta.UserMeta)
		op := Op{Kind: OpCopyObject, Bucket: dst.Bucket, Key: dst.Key, Time: s.now(), Cond: dst.Conditions, Meta: meta,
			Src: &CopySrc{Bucket: src.Bucket, Key: src.Key, Version: e.version, Length: -1, Replace: dst.Directive == s3api.MetadataReplace}}
		res, err := s.oneResult(ctx, op)
		if err != nil {
			return s3api.ObjectInfo{}, err
		}
		if errors.Is(res.Err, s3api.ErrConditionalRequestConflict) && try < maxCopyRetries {
			continue // the source changed: copy the new one
		}
		return res.Info, res.Err
	}
}
