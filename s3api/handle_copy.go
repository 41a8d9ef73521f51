package s3api

import (
	"net/http"
	"net/url"
	"strings"
)

// CopyObject.

// parseCopySource reads x-amz-copy-source: "[/]bucket/key[?versionId=v]",
// URL-encoded. The query is split off before decoding, so an encoded "?"
// stays part of the key; the versionId is ignored: there is only the
// current version.
func parseCopySource(h string) (bucket, key string, err error) {
	raw, _, _ := strings.Cut(h, "?")
	dec, err := url.PathUnescape(raw)
	if err != nil {
		return "", "", ErrInvalidArgument.Withf("Invalid copy source encoding.")
	}
	bucket, key, _ = strings.Cut(strings.TrimPrefix(dec, "/"), "/")
	if bucket == "" || key == "" {
		return "", "", ErrInvalidArgument.Withf("Copy Source must mention the source bucket and key: sourcebucket/sourcekey.")
	}
	if len(key) > MaxKeyLength {
		return "", "", ErrKeyTooLong
	}
	return bucket, key, nil
}

func (s *Server) copySource(rq *request) (CopySource, error) {
	b, k, err := parseCopySource(rq.r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return CopySource{}, err
	}
	return CopySource{Bucket: b, Key: k, Conditions: parseCopyConditions(rq.r.Header)}, nil
}

func (s *Server) copyObject(rq *request) error {
	src, err := s.copySource(rq)
	if err != nil {
		return err
	}
	dst := CopyDestination{Bucket: rq.route.bucket, Key: rq.route.key, Directive: MetadataCopy}
	switch d := rq.r.Header.Get("X-Amz-Metadata-Directive"); {
	case d == "" || strings.EqualFold(d, "COPY"):
	case strings.EqualFold(d, "REPLACE"):
		dst.Directive = MetadataReplace
	default:
		return ErrInvalidArgument.Withf("Unknown metadata directive.")
	}
	if src.Bucket == dst.Bucket && src.Key == dst.Key && dst.Directive == MetadataCopy {
		return ErrInvalidRequest.Withf("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	if dst.Directive == MetadataReplace {
		if dst.Meta, err = parseObjectMeta(rq.r.Header, rq.auth.ContentEncoding, s.opts.Limits.MaxUserMetadataSize); err != nil {
			return err
		}
	}
	if dst.Conditions, err = parseWriteConditions(rq.r.Header); err != nil {
		return err
	}
	// A copy has no body, but one may have been sent: read it so its
	// signature is checked, as for any request.
	if _, err := s.readBody(rq); err != nil {
		return err
	}
	info, err := s.backend.CopyObject(rq.r.Context(), src, dst)
	if err != nil {
		return withKey(err, src.Key)
	}
	setChecksumHeader(rq.w.Header(), info.Meta.Checksum)
	return s.writeXML(rq, http.StatusOK, &copyObjectResult{
		NS:           s3NS,
		LastModified: timeISO(info.LastModified),
		ETag:         info.ETag,
		checksumXML:  checksumElems(info.Meta.Checksum),
	})
}
