package s3api

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// responseWriter records what was sent, for the log.
type responseWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
	// rc, if not nil, extends the write deadline by idle before writes.
	rc   *http.ResponseController
	idle time.Duration
}

func (w *responseWriter) WriteHeader(status int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.extendWrite()
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// writeXML answers with an XML document.
func (s *Server) writeXML(rq *request, status int, v any) error {
	var buf bytes.Buffer
	buf.WriteString(xmlHeader)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		return ErrInternal.With(err)
	}
	h := rq.w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	rq.w.WriteHeader(status)
	if rq.r.Method != http.MethodHead {
		rq.w.Write(buf.Bytes())
	}
	return nil
}

// writeEmpty answers with a status and no body.
func (s *Server) writeEmpty(rq *request, status int) error {
	if status != http.StatusNoContent {
		rq.w.Header().Set("Content-Length", "0")
	}
	rq.w.WriteHeader(status)
	return nil
}

// writeError answers err as an S3 error document (AsError). HEAD answers
// and 304 carry no body. If the response has already started, nothing can
// be said any more: the connection is aborted instead so the client does
// not take a truncated body for a whole one.
func (s *Server) writeError(rq *request, err error) {
	if rq.w.wroteHeader {
		panic(http.ErrAbortHandler)
	}
	e := AsError(err)
	h := rq.w.Header()
	if e.Code == ErrInvalidRange.Code {
		if size, ok := e.Extra["ActualObjectSize"]; ok {
			h.Set("Content-Range", "bytes */"+size)
		}
	}
	if e.Status == http.StatusNotModified || rq.r.Method == http.MethodHead {
		// Drop headers a successful answer may have set already.
		h.Del("Content-Type")
		h.Set("Content-Length", "0")
		if rq.r.Method == http.MethodHead && e.Status != http.StatusNotModified {
			h.Set("X-Amz-Error-Code", e.Code)
		}
		rq.w.WriteHeader(e.Status)
		return
	}
	body := errorBody{
		Code:      e.Code,
		Message:   e.Message,
		Resource:  rq.r.URL.Path,
		RequestID: rq.id,
		HostID:    h.Get("X-Amz-Id-2"),
	}
	keys := make([]string, 0, len(e.Extra))
	for k := range e.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		body.Extra = append(body.Extra, extraElem{XMLName: xml.Name{Local: k}, Value: e.Extra[k]})
	}
	for _, k := range []string{"Etag", "Last-Modified", "Accept-Ranges", "Content-Encoding", "Content-Disposition", "Content-Language", "Cache-Control", "Expires"} {
		h.Del(k)
	}
	for k := range h {
		if strings.HasPrefix(k, "X-Amz-Meta-") || strings.HasPrefix(k, "X-Amz-Checksum-") {
			h.Del(k)
		}
	}
	if e.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
	s.writeXML(rq, e.Status, &body)
}
