package replication

import (
	"context"
	"io"

	"mapstore/localstore"
	"mapstore/s3api"
)

// Reads. By default a read is linearizable: it is served by the leader,
// once caught up, from its store, and then the leader confirms with a
// round of heartbeats to a quorum that it still was the leader when it
// read (raft's VerifyLeader, after the read: a leader deposed before the
// read fails the check, so a read never misses a write acknowledged
// before it began). A stale read (WithConsistency(ctx, Stale)) is served
// by any node from its own store, with no round trip: it may miss recent
// writes, never shows a write that was not committed, and is never torn.
//
// Writes go through the store to the batcher, which refuses them on a
// node that is not the ready leader.

// Consistency is how a read is served.
type Consistency int

const (
	// Linearizable reads see every write acknowledged before they began.
	Linearizable Consistency = iota
	// Stale reads come from the local store of whichever node is asked.
	Stale
)

type consistencyKey struct{}

// WithConsistency returns ctx carrying how reads under it are served.
func WithConsistency(ctx context.Context, c Consistency) context.Context {
	return context.WithValue(ctx, consistencyKey{}, c)
}

func consistency(ctx context.Context) Consistency {
	c, _ := ctx.Value(consistencyKey{}).(Consistency)
	return c
}

// Backend returns the node's S3 backend.
func (n *Node) Backend() s3api.Backend { return &backend{n: n} }

type backend struct{ n *Node }

// read runs f as a read of the given consistency.
func read[T any](ctx context.Context, n *Node, f func(*localstore.Store) (T, error)) (T, error) {
	if consistency(ctx) == Stale {
		return f(n.store())
	}
	var zero T
	if !n.ready() {
		return zero, ErrNotLeader
	}
	v, err := f(n.store())
	if verr := n.verifyLeader(); verr != nil {
		if c, ok := any(v).(io.Closer); ok && err == nil {
			c.Close()
		}
		return zero, verr
	}
	return v, err
}

// verifyLeader confirms with a quorum that the node is still the leader.
func (n *Node) verifyLeader() error {
	if err := n.wait(n.raft.VerifyLeader()); err != nil {
		return raftError(err)
	}
	return nil
}

func (b *backend) ListBuckets(ctx context.Context) ([]s3api.BucketInfo, error) {
	return read(ctx, b.n, func(s *localstore.Store) ([]s3api.BucketInfo, error) { return s.ListBuckets(ctx) })
}

func (b *backend) CreateBucket(ctx context.Context, bucket string) error {
	return b.n.store().CreateBucket(ctx, bucket)
}

func (b *backend) DeleteBucket(ctx context.Context, bucket string) error {
	return b.n.store().DeleteBucket(ctx, bucket)
}

func (b *backend) HeadBucket(ctx context.Context, bucket string) (s3api.BucketInfo, error) {
	return read(ctx, b.n, func(s *localstore.Store) (s3api.BucketInfo, error) { return s.HeadBucket(ctx, bucket) })
}

func (b *backend) PutObject(ctx context.Context, bucket, key string, meta s3api.ObjectMeta, body io.Reader, size int64, cond s3api.WriteConditions) (s3api.ObjectInfo, error) {
	return b.n.store().PutObject(ctx, bucket, key, meta, body, size, cond)
}

// objectBody is an *s3api.Object that read can close.
type objectBody struct{ *s3api.Object }

func (o objectBody) Close() error {
	if o.Object == nil || o.Object.Body == nil {
		return nil
	}
	return o.Object.Body.Close()
}

func (b *backend) GetObject(ctx context.Context, bucket, key string, opts s3api.GetOptions) (*s3api.Object, error) {
	o, err := read(ctx, b.n, func(s *localstore.Store) (objectBody, error) {
		o, err := s.GetObject(ctx, bucket, key, opts)
		return objectBody{o}, err
	})
	return o.Object, err
}

func (b *backend) HeadObject(ctx context.Context, bucket, key string) (s3api.ObjectInfo, error) {
	return read(ctx, b.n, func(s *localstore.Store) (s3api.ObjectInfo, error) { return s.HeadObject(ctx, bucket, key) })
}

func (b *backend) DeleteObject(ctx context.Context, bucket, key string) error {
	return b.n.store().DeleteObject(ctx, bucket, key)
}

func (b *backend) CopyObject(ctx context.Context, src s3api.CopySource, dst s3api.CopyDestination) (s3api.ObjectInfo, error) {
	return b.n.store().CopyObject(ctx, src, dst)
}

func (b *backend) ListObjects(ctx context.Context, bucket string, opts s3api.ListOptions) (s3api.ListResult, error) {
	return read(ctx, b.n, func(s *localstore.Store) (s3api.ListResult, error) { return s.ListObjects(ctx, bucket, opts) })
}

func (b *backend) CreateMultipartUpload(ctx context.Context, bucket, key string, meta s3api.ObjectMeta) (string, error) {
	return b.n.store().CreateMultipartUpload(ctx, bucket, key, meta)
}

func (b *backend) UploadPart(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, size int64) (s3api.PartInfo, error) {
	return b.n.store().UploadPart(ctx, bucket, key, uploadID, partNumber, body, size)
}

func (b *backend) UploadPartCopy(ctx context.Context, bucket, key, uploadID string, partNumber int, src s3api.CopySource, rng *s3api.ByteRange) (s3api.PartInfo, error) {
	return b.n.store().UploadPartCopy(ctx, bucket, key, uploadID, partNumber, src, rng)
}

func (b *backend) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []s3api.CompletedPart, cond s3api.WriteConditions) (s3api.ObjectInfo, error) {
	return b.n.store().CompleteMultipartUpload(ctx, bucket, key, uploadID, parts, cond)
}

func (b *backend) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	return b.n.store().AbortMultipartUpload(ctx, bucket, key, uploadID)
}

func (b *backend) ListParts(ctx context.Context, bucket, key, uploadID string, opts s3api.ListPartsOptions) (s3api.ListPartsResult, error) {
	return read(ctx, b.n, func(s *localstore.Store) (s3api.ListPartsResult, error) {
		return s.ListParts(ctx, bucket, key, uploadID, opts)
	})
}

func (b *backend) ListMultipartUploads(ctx context.Context, bucket string, opts s3api.ListUploadsOptions) (s3api.ListUploadsResult, error) {
	return read(ctx, b.n, func(s *localstore.Store) (s3api.ListUploadsResult, error) {
		return s.ListMultipartUploads(ctx, bucket, opts)
	})
}
