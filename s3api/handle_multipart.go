package s3api

import (
	"net/http"
	"net/url"
	"strconv"
)

// Multipart uploads.

func (s *Server) createMultipartUpload(rq *request) error {
	meta, err := parseObjectMeta(rq.r.Header, rq.auth.ContentEncoding, s.opts.Limits.MaxUserMetadataSize)
	if err != nil {
		return err
	}
	if _, err := s.readBody(rq); err != nil {
		return err
	}
	id, err := s.backend.CreateMultipartUpload(rq.r.Context(), rq.route.bucket, rq.route.key, meta)
	if err != nil {
		return withBucket(err, rq.route.bucket)
	}
	if a := meta.Checksum.Algorithm; a != "" {
		rq.w.Header().Set("X-Amz-Checksum-Algorithm", string(a))
	}
	return s.writeXML(rq, http.StatusOK, &initiateMultipartUploadResult{
		NS: s3NS, Bucket: rq.route.bucket, Key: rq.route.key, UploadID: id,
	})
}

// partParams reads partNumber and uploadId.
func partParams(q queryValues) (int, string, error) {
	n, err := strconv.Atoi(q.get("partNumber"))
	if err != nil || n < 1 || n > MaxPartNumber {
		return 0, "", ErrInvalidPartNumberArgument
	}
	id := q.get("uploadId")
	if id == "" {
		return 0, "", ErrInvalidArgument.Withf("Upload ID must be specified.")
	}
	return n, id, nil
}

func (s *Server) uploadPart(rq *request) error {
	n, id, err := partParams(rq.query)
	if err != nil {
		return err
	}
	size, err := s.uploadSize(rq)
	if err != nil {
		return err
	}
	part, err := s.backend.UploadPart(rq.r.Context(), rq.route.bucket, rq.route.key, id, n, rq.auth.Body, size)
	if err != nil {
		return err
	}
	h := rq.w.Header()
	h.Set("ETag", part.ETag)
	// Part checksums are verified on the way in and echoed, not stored.
	if c, ok := rq.auth.Body.Checksum(); ok {
		h.Set(c.Algorithm.HeaderName(), c.Value)
	}
	return s.writeEmpty(rq, http.StatusOK)
}

func (s *Server) uploadPartCopy(rq *request) error {
	n, id, err := partParams(rq.query)
	if err != nil {
		return err
	}
	src, err := s.copySource(rq)
	if err != nil {
		return err
	}
	var rng *ByteRange
	if h := rq.r.Header.Get("X-Amz-Copy-Source-Range"); h != "" {
		if rng, err = parseCopySourceRange(h); err != nil {
			return err
		}
	}
	if _, err := s.readBody(rq); err != nil {
		return err
	}
	part, err := s.backend.UploadPartCopy(rq.r.Context(), rq.route.bucket, rq.route.key, id, n, src, rng)
	if err != nil {
		if e := AsError(err); e.Code == ErrInvalidRange.Code {
			return ErrInvalidArgument.Withf("Range specified is not valid for source object of size: %s.", e.Extra["ActualObjectSize"])
		}
		return withKey(err, src.Key)
	}
	if part.Size > s.opts.Limits.MaxObjectSize {
		s.log.Warn("s3api: UploadPartCopy stored a part larger than MaxObjectSize", "request_id", rq.id, "size", part.Size)
	}
	return s.writeXML(rq, http.StatusOK, &copyPartResult{NS: s3NS, LastModified: timeISO(part.LastModified), ETag: part.ETag})
}

func (s *Server) completeMultipartUpload(rq *request) error {
	id := rq.query.get("uploadId")
	cond, err := parseWriteConditions(rq.r.Header)
	if err != nil {
		return err
	}
	var req completeMultipartUpload
	if err := s.readXML(rq, &req); err != nil {
		return err
	}
	if len(req.Parts) > MaxPartNumber {
		return ErrTooManyParts
	}
	parts := make([]CompletedPart, len(req.Parts))
	for i, p := range req.Parts {
		parts[i] = CompletedPart{PartNumber: p.PartNumber, ETag: quoteETag(p.ETag)}
	}
	info, err := s.backend.CompleteMultipartUpload(rq.r.Context(), rq.route.bucket, rq.route.key, id, parts, cond)
	if err != nil {
		return withKey(err, rq.route.key)
	}
	scheme := "http"
	if rq.r.TLS != nil {
		scheme = "https"
	}
	loc := url.URL{Scheme: scheme, Host: rq.r.Host, Path: "/" + rq.route.bucket + "/" + rq.route.key}
	if rq.route.virtualHost {
		loc.Path = "/" + rq.route.key
	}
	return s.writeXML(rq, http.StatusOK, &completeMultipartUploadResult{
		NS: s3NS, Location: loc.String(), Bucket: rq.route.bucket, Key: rq.route.key, ETag: info.ETag,
	})
}

func (s *Server) abortMultipartUpload(rq *request) error {
	if err := s.backend.AbortMultipartUpload(rq.r.Context(), rq.route.bucket, rq.route.key, rq.query.get("uploadId")); err != nil {
		return err
	}
	return s.writeEmpty(rq, http.StatusNoContent)
}

func (s *Server) listParts(rq *request) error {
	q := rq.query
	opts := ListPartsOptions{}
	if v := q.get("part-number-marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return ErrInvalidArgument.Withf("Provided part-number-marker not an integer or within integer range.")
		}
		opts.PartNumberMarker = n
	}
	var err error
	if opts.MaxParts, err = parseMaxKeys(q, "max-parts"); err != nil {
		return err
	}
	id := q.get("uploadId")
	var res ListPartsResult
	if opts.MaxParts > 0 {
		if res, err = s.backend.ListParts(rq.r.Context(), rq.route.bucket, rq.route.key, id, opts); err != nil {
			return err
		}
	}
	o := s.owner()
	out := listPartsResult{
		NS: s3NS, Bucket: rq.route.bucket, Key: rq.route.key, UploadID: id,
		Initiator: o, Owner: o, StorageClass: "STANDARD",
		ChecksumAlgorithm: string(res.Meta.Checksum.Algorithm),
		PartNumberMarker:  opts.PartNumberMarker, MaxParts: opts.MaxParts,
		IsTruncated: res.IsTruncated, NextPartNumberMarker: res.NextPartNumberMarker,
	}
	for _, p := range res.Parts {
		out.Parts = append(out.Parts, partXML{PartNumber: p.PartNumber, LastModified: timeISO(p.LastModified), ETag: p.ETag, Size: p.Size})
	}
	return s.writeXML(rq, http.StatusOK, &out)
}
