package localstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"mapstore/s3api"
)

// ListBuckets returns every bucket, ordered by name.
func (s *Store) ListBuckets(ctx context.Context) ([]s3api.BucketInfo, error) {
	st := s.pub.Load().st
	out := make([]s3api.BucketInfo, 0, len(st.buckets))
	for _, b := range st.buckets {
		out = append(out, b.info())
	}
	slices.SortFunc(out, func(a, b s3api.BucketInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (b *bucketState) info() s3api.BucketInfo {
	return s3api.BucketInfo{Name: b.name, CreationDate: time.Unix(0, b.created).UTC()}
}

// CreateBucket creates an empty bucket.
func (s *Store) CreateBucket(ctx context.Context, bucket string) error {
	return s.one(ctx, Op{Kind: OpCreateBucket, Bucket: bucket, Time: s.now()})
}

// DeleteBucket removes an empty bucket.
func (s *Store) DeleteBucket(ctx context.Context, bucket string) error {
	return s.one(ctx, Op{Kind: OpDeleteBucket, Bucket: bucket})
}

// HeadBucket returns a bucket's information.
func (s *Store) HeadBucket(ctx context.Context, bucket string) (s3api.BucketInfo, error) {
	b := s.pub.Load().st.buckets[bucket]
	if b == nil {
		return s3api.BucketInfo{}, s3api.ErrNoSuchBucket
	}
	return b.info(), nil
}

// one proposes a single op and returns its error.
func (s *Store) one(ctx context.Context, op Op) error {
	res, err := s.oneResult(ctx, op)
	if err != nil {
		return err
	}
	return res.Err
}

func (s *Store) oneResult(ctx context.Context, op Op) (Result, error) {
	res, err := s.propose(ctx, op)
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}

// propose proposes ops as one batch and waits for their results.
func (s *Store) propose(ctx context.Context, ops ...Op) ([]Result, error) {
	if err := s.checkRoom(ops); err != nil {
		return nil, err
	}
	return s.prop.Propose(ops).Wait(ctx)
}

func (s *Store) now() int64 { return s.opts.Now().UnixNano() }
