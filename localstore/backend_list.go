package localstore

import (
	"context"
	"strings"

	"mapstore/s3api"
)

// ListObjects lists keys in order: a walk of the bucket's B-tree from the
// first key after opts.After, which jumps over each common prefix with
// one seek, so a page costs O(log n + k) whatever the keys it rolls up.
func (s *Store) ListObjects(ctx context.Context, bucket string, opts s3api.ListOptions) (s3api.ListResult, error) {
	b := s.pub.Load().st.buckets[bucket]
	if b == nil {
		return s3api.ListResult{}, s3api.ErrNoSuchBucket
	}
	var res s3api.ListResult
	from := opts.Prefix
	if opts.After >= from {
		from = opts.After + "\x00" // the least key after After
	}
	n := 0
	for {
		next, more := "", false
		b.objects.AscendGreaterOrEqual(&objEntry{key: from}, func(e *objEntry) bool {
			if !strings.HasPrefix(e.key, opts.Prefix) {
				return false
			}
			entry := e.key
			cp := commonPrefix(e.key, opts.Prefix, opts.Delimiter)
			if cp != "" {
				entry = cp
			}
			if cp != "" && cp <= opts.After {
				// a prefix already returned: seek past it
			} else {
				if n == opts.MaxKeys {
					res.IsTruncated = true
					return false
				}
				if cp != "" {
					res.CommonPrefixes = append(res.CommonPrefixes, cp)
				} else {
					res.Objects = append(res.Objects, e.info(bucket))
				}
				res.Last = entry
				n++
			}
			if cp != "" {
				next, more = prefixEnd(cp), true
				return false
			}
			return true
		})
		if !more || next == "" {
			break
		}
		from = next
	}
	return res, nil
}
