package sigv4

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeS3 is just enough of an S3 endpoint for real SDK clients to complete
// uploads against it: every request goes through Verify and its body is
// read to the end; what was verified is recorded for the test to inspect.
type fakeS3 struct {
	t      testing.TB
	v      *Verifier
	mu     sync.Mutex
	seen   []seenRequest
	stored map[string][]byte
}

type seenRequest struct {
	Method, Path, Query string
	Payload             PayloadMode
	Presigned           bool
	Checksum            Checksum
	HasChecksum         bool
	Body                []byte
	Err                 error
}

func newFakeS3(t testing.TB, tls bool) (*fakeS3, *httptest.Server) {
	f := &fakeS3{t: t, v: newTestVerifier(t), stored: map[string][]byte{}}
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(f)
	} else {
		srv = httptest.NewServer(f)
	}
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeS3) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.seen...)
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := seenRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery}
	res, err := f.v.Verify(r, time.Now())
	if err == nil {
		s.Payload, s.Presigned = res.Payload, res.Presigned
		s.Body, err = io.ReadAll(res.Body)
		s.Checksum, s.HasChecksum = res.Body.Checksum()
	}
	s.Err = err
	f.mu.Lock()
	f.seen = append(f.seen, s)
	f.mu.Unlock()
	if err != nil {
		code, status := S3Code(err)
		var se *SignatureError
		if errors.As(err, &se) {
			f.t.Logf("%s %s: canonical request:\n%s", r.Method, r.RequestURI, se.CanonicalRequest)
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<Error><Code>%s</Code><Message>%s</Message></Error>", code, xmlEscape(err.Error()))
		return
	}

	q := r.URL.Query()
	sum := md5.Sum(s.Body)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	if s.HasChecksum {
		w.Header().Set(s.Checksum.Algorithm.HeaderName(), s.Checksum.Value)
	}
	switch {
	case r.Method == http.MethodPost && q.Has("uploads"):
		writeXML(w, "InitiateMultipartUploadResult", "<Bucket>b</Bucket><Key>k</Key><UploadId>upload-1</UploadId>")
	case r.Method == http.MethodPost && q.Has("uploadId"):
		writeXML(w, "CompleteMultipartUploadResult", "<Bucket>b</Bucket><Key>k</Key><ETag>&quot;abc-2&quot;</ETag>")
	case r.Method == http.MethodPost && q.Has("delete"):
		writeXML(w, "DeleteResult", "")
	case r.Method == http.MethodGet && (q.Has("list-type") || strings.Count(strings.Trim(r.URL.Path, "/"), "/") == 0):
		writeXML(w, "ListBucketResult", "<Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated>")
	case r.Method == http.MethodGet:
		f.mu.Lock()
		data := f.stored[r.URL.Path]
		f.mu.Unlock()
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
		w.Write(data)
	case r.Method == http.MethodPut:
		if !q.Has("uploadId") {
			f.mu.Lock()
			f.stored[r.URL.Path] = s.Body
			f.mu.Unlock()
		}
		w.Header().Set("ETag", etag)
	default:
		w.Header().Set("ETag", etag)
	}
}

func writeXML(w http.ResponseWriter, root, inner string) {
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><%s xmlns="http://s3.amazonaws.com/doc/2006-03-01/">%s</%s>`, root, inner, root)
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
