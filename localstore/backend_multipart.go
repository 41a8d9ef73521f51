package localstore

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"time"

	"mapstore/s3api"
)

// CreateMultipartUpload starts an upload. Its id is the time in hex (so a
// key's uploads sort in creation order) and random bytes.
func (s *Store) CreateMultipartUpload(ctx context.Context, bucket, key string, meta s3api.ObjectMeta) (string, error) {
	meta.UserMeta = maps.Clone(meta.UserMeta)
	t := s.now()
	id := s.uploadID(t)
	return id, s.one(ctx, Op{Kind: OpCreateUpload, Bucket: bucket, Key: key, UploadID: id, Time: t, Meta: meta})
}

func (s *Store) uploadID(t int64) string {
	s.idMu.Lock()
	if t <= s.lastID {
		t = s.lastID + 1
	}
	s.lastID = t
	s.idMu.Unlock()
	var r [8]byte
	rand.Read(r[:])
	return fmt.Sprintf("%016x%s", uint64(t), hex.EncodeToString(r[:]))
}

// liveUpload checks that an upload exists in the published state.
func (s *Store) liveUpload(bucket, key, id string) (*uploadEntry, error) {
	b := s.pub.Load().st.buckets[bucket]
	if b == nil {
		return nil, s3api.ErrNoSuchBucket
	}
	u := b.upload(key, id)
	if u == nil {
		return nil, s3api.ErrNoSuchUpload
	}
	return u, nil
}

// UploadPart stores a part from body.
func (s *Store) UploadPart(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, size int64) (s3api.PartInfo, error) {
	if _, err := s.liveUpload(bucket, key, uploadID); err != nil {
		return s3api.PartInfo{}, err
	}
	rcv, err := s.receive(ctx, body, size, "")
	if err != nil {
		return s3api.PartInfo{}, err
	}
	res, err := s.oneResult(context.WithoutCancel(ctx), Op{Kind: OpPutPart, Bucket: bucket, Key: key, UploadID: uploadID,
		PartNumber: partNumber, Time: s.now(), Size: size, MD5: rcv.md5, Inline: rcv.inline, Obj: rcv.obj})
	if err != nil {
		return s3api.PartInfo{}, err
	}
	return res.Part, res.Err
}

// UploadPartCopy stores a part from a range of an object. The part shares
// the source's data objects; only its MD5 is computed, by reading the
// range from the snapshot.
func (s *Store) UploadPartCopy(ctx context.Context, bucket, key, uploadID string, partNumber int, src s3api.CopySource, rng *s3api.ByteRange) (s3api.PartInfo, error) {
	if _, err := s.liveUpload(bucket, key, uploadID); err != nil {
		return s3api.PartInfo{}, err
	}
	for try := 0; ; try++ {
		r, e, err := s.snapshot(ctx, src.Bucket, src.Key, true)
		if err != nil {
			return s3api.PartInfo{}, err
		}
		info, err := s.copyPart(ctx, r, e, bucket, key, uploadID, partNumber, src, rng)
		s.unpin(e.data)
		if errors.Is(err, s3api.ErrConditionalRequestConflict) && try < maxCopyRetries {
			continue
		}
		return info, err
	}
}

func (s *Store) copyPart(ctx context.Context, r *objectRec, e *objEntry, bucket, key, uploadID string, partNumber int, src s3api.CopySource, rng *s3api.ByteRange) (s3api.PartInfo, error) {
	if err := src.Conditions.Check(objectInfo(src.Bucket, r)); err != nil {
		return s3api.PartInfo{}, err
	}
	start, length := int64(0), r.Size
	if rng != nil {
		res, err := rng.ResolveCopy(r.Size)
		if err != nil {
			return s3api.PartInfo{}, err
		}
		start, length = res.Start, res.Length
	}
	body := &objectReader{s: s, r: r, pieces: r.pieces(), pos: start, end: start + length}
	md := md5.New()
	_, err := io.Copy(md, body)
	body.Close() // the pins are the caller's
	if err != nil {
		return s3api.PartInfo{}, err
	}
	var sum [16]byte
	copy(sum[:], md.Sum(nil))
	res, err := s.oneResult(ctx, Op{Kind: OpPutPart, Bucket: bucket, Key: key, UploadID: uploadID, PartNumber: partNumber,
		Time: s.now(), Size: length, MD5: sum,
		Src: &CopySrc{Bucket: src.Bucket, Key: src.Key, Version: e.version, Start: start, Length: length}})
	if err != nil {
		return s3api.PartInfo{}, err
	}
	return res.Part, res.Err
}

// CompleteMultipartUpload makes the listed parts the object, atomically.
func (s *Store) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []s3api.CompletedPart, cond s3api.WriteConditions) (s3api.ObjectInfo, error) {
	res, err := s.oneResult(ctx, Op{Kind: OpCompleteUpload, Bucket: bucket, Key: key, UploadID: uploadID,
		Time: s.now(), Cond: cond, Parts: append([]s3api.CompletedPart(nil), parts...)})
	if err != nil {
		return s3api.ObjectInfo{}, err
	}
	return res.Info, res.Err
}

// AbortMultipartUpload removes an upload and its parts.
func (s *Store) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	return s.one(ctx, Op{Kind: OpAbortUpload, Bucket: bucket, Key: key, UploadID: uploadID})
}

// ListParts lists an upload's parts.
func (s *Store) ListParts(ctx context.Context, bucket, key, uploadID string, opts s3api.ListPartsOptions) (s3api.ListPartsResult, error) {
	u, err := s.liveUpload(bucket, key, uploadID)
	if err != nil {
		return s3api.ListPartsResult{}, err
	}
	res := s3api.ListPartsResult{Meta: u.rec.Meta}
	res.Meta.UserMeta = maps.Clone(res.Meta.UserMeta)
	u.parts.AscendGreaterOrEqual(&partEntry{rec: &objectRec{Number: opts.PartNumberMarker + 1}}, func(p *partEntry) bool {
		if len(res.Parts) == opts.MaxParts {
			res.IsTruncated = true
			return false
		}
		res.Parts = append(res.Parts, partInfo(p.rec))
		res.NextPartNumberMarker = p.rec.Number
		return true
	})
	return res, nil
}

// ListMultipartUploads lists uploads in progress by key, then id.
func (s *Store) ListMultipartUploads(ctx context.Context, bucket string, opts s3api.ListUploadsOptions) (s3api.ListUploadsResult, error) {
	b := s.pub.Load().st.buckets[bucket]
	if b == nil {
		return s3api.ListUploadsResult{}, s3api.ErrNoSuchBucket
	}
	var res s3api.ListUploadsResult
	from := &uploadEntry{key: opts.Prefix}
	if opts.KeyMarker != "" && opts.KeyMarker >= opts.Prefix {
		if opts.UploadIDMarker != "" {
			from = &uploadEntry{key: opts.KeyMarker, id: opts.UploadIDMarker + "\x00"}
		} else {
			from = &uploadEntry{key: opts.KeyMarker + "\x00"}
		}
	}
	n := 0
	for {
		var next *uploadEntry
		b.uploads.AscendGreaterOrEqual(from, func(u *uploadEntry) bool {
			if !strings.HasPrefix(u.key, opts.Prefix) {
				return false
			}
			cp := commonPrefix(u.key, opts.Prefix, opts.Delimiter)
			if cp == "" || cp > opts.KeyMarker {
				if n == opts.MaxUploads {
					res.IsTruncated = true
					return false
				}
				n++
				if cp != "" {
					res.CommonPrefixes = append(res.CommonPrefixes, cp)
					res.NextKeyMarker, res.NextUploadIDMarker = cp, ""
				} else {
					res.Uploads = append(res.Uploads, s3api.UploadInfo{Key: u.key, UploadID: u.id, Initiated: time.Unix(0, u.initiated).UTC()})
					res.NextKeyMarker, res.NextUploadIDMarker = u.key, u.id
				}
			}
			if cp != "" {
				if end := prefixEnd(cp); end != "" {
					next = &uploadEntry{key: end}
				}
				return false
			}
			return true
		})
		if next == nil || res.IsTruncated {
			break
		}
		from = next
	}
	return res, nil
}
