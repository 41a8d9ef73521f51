package s3api

import (
	"bytes"
	"encoding/xml"
	"io"
	"strconv"
)

// Request bodies. Every body is read through the verifying sigv4 body
// (rq.auth.Body); a small body is read whole, to io.EOF, before it is
// acted on, so its signature, Content-MD5 and checksum are known to hold.

// readBody reads a small (XML) request body to its end.
func (s *Server) readBody(rq *request) ([]byte, error) {
	limit := s.opts.Limits.MaxXMLBodySize
	if n := rq.auth.DecodedContentLength; n > limit {
		return nil, ErrMalformedXML.Withf("The XML you provided was larger than the maximum of %d bytes allowed.", limit)
	}
	b, err := io.ReadAll(io.LimitReader(rq.auth.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, ErrMalformedXML.Withf("The XML you provided was larger than the maximum of %d bytes allowed.", limit)
	}
	return b, nil
}

// readXML reads an XML request body into v. An empty body is
// MissingRequestBodyError, one that does not parse is MalformedXML.
func (s *Server) readXML(rq *request, v any) error {
	b, err := s.readBody(rq)
	if err != nil {
		return err
	}
	return decodeXML(b, v)
}

func decodeXML(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return ErrMissingRequestBody
	}
	if err := xml.Unmarshal(b, v); err != nil {
		return ErrMalformedXML.With(err)
	}
	return nil
}

// uploadSize is the decoded length of an upload body (PutObject,
// UploadPart): Content-Length, or x-amz-decoded-content-length for
// aws-chunked bodies. S3 requires one of them (MissingContentLength) and
// bounds it (EntityTooLarge).
func (s *Server) uploadSize(rq *request) (int64, error) {
	n := rq.auth.DecodedContentLength
	if n < 0 {
		return 0, ErrMissingContentLength
	}
	if max := s.opts.Limits.MaxObjectSize; n > max {
		e := *ErrEntityTooLarge
		e.Extra = map[string]string{"ProposedSize": strconv.FormatInt(n, 10), "MaxSizeAllowed": strconv.FormatInt(max, 10)}
		return 0, &e
	}
	return n, nil
}
