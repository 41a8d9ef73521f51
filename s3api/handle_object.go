package s3api

import (
	"io"
	"net/http"
	"strconv"
	"sync"
)

// PutObject, GetObject, HeadObject, DeleteObject.

func (s *Server) putObject(rq *request) error {
	size, err := s.uploadSize(rq)
	if err != nil {
		return err
	}
	meta, err := parseObjectMeta(rq.r.Header, rq.auth.ContentEncoding, s.opts.Limits.MaxUserMetadataSize)
	if err != nil {
		return err
	}
	cond, err := parseWriteConditions(rq.r.Header)
	if err != nil {
		return err
	}
	info, err := s.backend.PutObject(rq.r.Context(), rq.route.bucket, rq.route.key, meta, rq.auth.Body, size, cond)
	if err != nil {
		return withKey(err, rq.route.key)
	}
	s.checkStoredChecksum(rq, info.Meta.Checksum)
	h := rq.w.Header()
	h.Set("ETag", info.ETag)
	setChecksumHeader(h, info.Meta.Checksum)
	return s.writeEmpty(rq, http.StatusOK)
}

// checkStoredChecksum compares what the Backend computed with what the
// verifying body certified: a difference is a Backend bug, logged.
func (s *Server) checkStoredChecksum(rq *request, stored Checksum) {
	if c, ok := rq.auth.Body.Checksum(); ok && (c.Algorithm != stored.Algorithm || c.Value != stored.Value) {
		s.log.Error("s3api: backend stored a checksum different from the verified one",
			"request_id", rq.id, "verified", string(c.Algorithm)+":"+c.Value, "stored", string(stored.Algorithm)+":"+stored.Value)
	}
}

// getOptions reads Range and partNumber of a GET or HEAD.
func getOptions(rq *request) (GetOptions, error) {
	var opts GetOptions
	if v, ok := rq.query.lookup("partNumber"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPartNumber {
			return opts, ErrInvalidPartNumberArgument
		}
		opts.PartNumber = n
	}
	opts.Range = parseRange(rq.r.Header.Get("Range"))
	if opts.Range != nil && opts.PartNumber != 0 {
		return opts, ErrInvalidRequest.Withf("Cannot specify both Range header and partNumber query parameter.")
	}
	return opts, nil
}

// checkVersionID accepts only the null version: the store has no
// versioning.
func checkVersionID(rq *request) error {
	if v, ok := rq.query.lookup("versionId"); ok && v != "null" {
		return ErrInvalidArgument.Withf("Invalid version id specified.")
	}
	return nil
}

func (s *Server) getObject(rq *request) error {
	if err := checkVersionID(rq); err != nil {
		return err
	}
	opts, err := getOptions(rq)
	if err != nil {
		return err
	}
	cond := parseReadConditions(rq.r.Header)
	obj, err := s.backend.GetObject(rq.r.Context(), rq.route.bucket, rq.route.key, opts)
	if err != nil {
		return s.getError(rq, err, cond)
	}
	defer obj.Close()
	if err := cond.eval(obj.Info); err != nil {
		return s.conditionFailed(rq, err, obj.Info)
	}
	length := s.setGetHeaders(rq, obj, opts)
	status := http.StatusOK
	if partial(obj) {
		status = http.StatusPartialContent
	}
	rq.w.WriteHeader(status)
	n, err := copyBuffered(rq.w, obj.Body)
	if err == nil && n != length {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		// The header is out: the only honest thing left is to cut the
		// connection, so the client sees a truncated body as such.
		rq.err = err
		panic(http.ErrAbortHandler)
	}
	return nil
}

func (s *Server) headObject(rq *request) error {
	if err := checkVersionID(rq); err != nil {
		return err
	}
	opts, err := getOptions(rq)
	if err != nil {
		return err
	}
	cond := parseReadConditions(rq.r.Header)
	var obj *Object
	if opts.Range != nil || opts.PartNumber != 0 {
		// The Backend resolves ranges and parts; the data is not read.
		if obj, err = s.backend.GetObject(rq.r.Context(), rq.route.bucket, rq.route.key, opts); err != nil {
			return s.getError(rq, err, cond)
		}
		obj.Close()
	} else {
		info, err := s.backend.HeadObject(rq.r.Context(), rq.route.bucket, rq.route.key)
		if err != nil {
			return withKey(err, rq.route.key)
		}
		obj = &Object{Info: info}
	}
	if err := cond.eval(obj.Info); err != nil {
		return s.conditionFailed(rq, err, obj.Info)
	}
	s.setGetHeaders(rq, obj, opts)
	status := http.StatusOK
	if partial(obj) {
		status = http.StatusPartialContent
	}
	rq.w.WriteHeader(status)
	return nil
}

// getError refines a GetObject failure. Preconditions come before ranges
// (RFC 9110 section 13.2.2): when a range is not satisfiable but the
// request is conditional, the conditions are decided first.
func (s *Server) getError(rq *request, err error, cond readConditions) error {
	if cond.present() && AsError(err).Code == ErrInvalidRange.Code {
		if info, herr := s.backend.HeadObject(rq.r.Context(), rq.route.bucket, rq.route.key); herr == nil {
			if cerr := cond.eval(info); cerr != nil {
				return s.conditionFailed(rq, cerr, info)
			}
		}
	}
	return withKey(err, rq.route.key)
}

// conditionFailed answers 304 with the validators, or 412.
func (s *Server) conditionFailed(rq *request, err error, info ObjectInfo) error {
	if err == ErrNotModified { //nolint:errorlint // our own sentinel, returned as is
		h := rq.w.Header()
		h.Set("ETag", info.ETag)
		h.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
		rq.w.WriteHeader(http.StatusNotModified)
		return nil
	}
	return err
}

// partial reports a 206 answer: a range or part was selected. An empty
// selection (part 1 of an empty object) cannot be written as a
// Content-Range and is answered 200 with no bytes, as S3 does.
func partial(obj *Object) bool { return obj.Range != nil && obj.Range.Length > 0 }

// setGetHeaders writes the headers of a GET or HEAD answer and returns the
// number of body bytes.
func (s *Server) setGetHeaders(rq *request, obj *Object, opts GetOptions) int64 {
	h := rq.w.Header()
	info := obj.Info
	setObjectHeaders(h, info)
	length := info.Size
	if obj.Range != nil {
		length = obj.Range.Length
		if partial(obj) {
			h.Set("Content-Range", contentRange(*obj.Range, info.Size))
		}
	}
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	if opts.PartNumber != 0 && info.PartsCount > 0 {
		h.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(info.PartsCount))
	}
	// The checksum covers the whole object; S3 sends it only when asked.
	if obj.Range == nil && rq.r.Header.Get("X-Amz-Checksum-Mode") == "ENABLED" {
		setChecksumHeader(h, info.Meta.Checksum)
		if info.Meta.Checksum.Value != "" {
			h.Set("X-Amz-Checksum-Type", "FULL_OBJECT")
		}
	}
	applyResponseOverrides(h, rq.query)
	return length
}

func (s *Server) deleteObject(rq *request) error {
	if err := checkVersionID(rq); err != nil {
		return err
	}
	if err := s.backend.DeleteObject(rq.r.Context(), rq.route.bucket, rq.route.key); err != nil {
		return withBucket(err, rq.route.bucket)
	}
	return s.writeEmpty(rq, http.StatusNoContent)
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 128<<10); return &b }}

// copyBuffered streams src to w with a pooled buffer.
func copyBuffered(w io.Writer, src io.Reader) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	return io.CopyBuffer(struct{ io.Writer }{w}, src, *bp)
}
