package s3api

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"

	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"mapstore/s3api/sigv4"
)

// Server is the S3 HTTP API over a Backend. It is an http.Handler; serve
// it with NewHTTPServer (or any http.Server). It must see request paths
// exactly as clients sent them: do not mount it behind an http.ServeMux
// pattern, which cleans paths and would redirect keys such as "a//b".
type Server struct {
	opts     Options
	backend  Backend
	verifier *sigv4.Verifier
	log      *slog.Logger

	idPrefix uint32 // random, distinguishes servers' request ids
	hostID   [8]byte
	seq      atomic.Uint64
}

var _ http.Handler = (*Server)(nil)

// New returns a Server for opts (defaults filled in, see Options).
func New(opts Options) (*Server, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	v, err := sigv4.NewVerifier(opts.Auth)
	if err != nil {
		return nil, fmt.Errorf("s3api: %w", err)
	}
	s := &Server{opts: opts, backend: opts.Backend, verifier: v, log: opts.Logger}
	var seed [12]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, err
	}
	s.idPrefix = binary.BigEndian.Uint32(seed[:4])
	copy(s.hostID[:], seed[4:])
	return s, nil
}

// request is the state of one request as it goes through the Server.
type request struct {
	r     *http.Request
	w     *responseWriter
	id    string
	start time.Time
	route route
	op    op
	query queryValues
	auth  *sigv4.Result // nil until authenticated
	// err is the error answered or the failure that aborted a response,
	// for the log.
	err error
}

// ServeHTTP serves one S3 request. The lifecycle:
//
//  1. assign a request id, sent back as x-amz-request-id and x-amz-id-2,
//     and arm the body idle timeouts (see Limits.BodyIdleTimeout);
//  2. check the header size;
//  3. authenticate (sigv4.Verify); from here on only the verifying body
//     rq.auth.Body is read, never r.Body;
//  4. route: bucket and key from host and path, operation from method,
//     query and headers;
//  5. run the operation's handler, which answers or returns an error that
//     is answered as S3 XML (AsError);
//  6. log one record and tell the Observer, if any.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rq := &request{r: r, w: &responseWriter{ResponseWriter: w}, start: time.Now()}
	if idle := s.opts.Limits.BodyIdleTimeout; idle > 0 {
		rc := http.NewResponseController(w)
		rq.w.rc, rq.w.idle = rc, idle
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc, idle: idle}
		}
	}
	n := s.seq.Add(1)
	rq.id = fmt.Sprintf("%08X%08X", s.idPrefix, uint32(n))
	var id2 [16]byte
	copy(id2[:8], s.hostID[:])
	binary.BigEndian.PutUint64(id2[8:], n)
	h := w.Header()
	h.Set("X-Amz-Request-Id", rq.id)
	h.Set("X-Amz-Id-2", base64.StdEncoding.EncodeToString(id2[:]))
	h.Set("Server", "mapstore")

	defer s.finish(rq)
	if err := s.serve(rq); err != nil {
		rq.err = err
		s.writeError(rq, err)
	}
}

func (s *Server) serve(rq *request) error {
	r := rq.r
	if headerBytes(r) > s.opts.Limits.MaxHeaderBytes {
		return ErrRequestHeaderSectionTooLarge
	}
	res, err := s.verifier.Verify(r, s.opts.Now())
	if err != nil {
		return err
	}
	rq.auth = res
	if rq.route, err = parseRoute(r.Host, r.URL.Path, s.opts.BaseDomains); err != nil {
		return err
	}
	if rq.query, err = parseQuery(r.URL.RawQuery); err != nil {
		return err
	}
	if rq.op, err = selectOp(r.Method, rq.route, rq.query, r.Header.Get("X-Amz-Copy-Source") != ""); err != nil {
		return err
	}
	return handlers[rq.op](s, rq)
}

// handlers maps each operation to its handler.
var handlers [opCount]func(*Server, *request) error

func init() {
	handlers = [opCount]func(*Server, *request) error{
		opNone:                    func(*Server, *request) error { return ErrNotImplemented },
		opListBuckets:             (*Server).listBuckets,
		opCreateBucket:            (*Server).createBucket,
		opDeleteBucket:            (*Server).deleteBucket,
		opHeadBucket:              (*Server).headBucket,
		opGetBucketLocation:       (*Server).getBucketLocation,
		opGetBucketVersioning:     (*Server).getBucketVersioning,
		opGetBucketACL:            (*Server).getACL,
		opListObjects:             (*Server).listObjectsV1,
		opListObjectsV2:           (*Server).listObjectsV2,
		opListMultipartUploads:    (*Server).listMultipartUploads,
		opDeleteObjects:           (*Server).deleteObjects,
		opPutObject:               (*Server).putObject,
		opCopyObject:              (*Server).copyObject,
		opGetObject:               (*Server).getObject,
		opHeadObject:              (*Server).headObject,
		opDeleteObject:            (*Server).deleteObject,
		opGetObjectACL:            (*Server).getACL,
		opGetObjectTagging:        (*Server).getObjectTagging,
		opCreateMultipartUpload:   (*Server).createMultipartUpload,
		opUploadPart:              (*Server).uploadPart,
		opUploadPartCopy:          (*Server).uploadPartCopy,
		opCompleteMultipartUpload: (*Server).completeMultipartUpload,
		opAbortMultipartUpload:    (*Server).abortMultipartUpload,
		opListParts:               (*Server).listParts,
	}
}

// headerBytes approximates the size of the request header section (the
// request line is not part of it, so long keys do not count).
func headerBytes(r *http.Request) int {
	n := len(r.Host) + 8
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// finish logs the request and tells the Observer. A panic other than
// http.ErrAbortHandler (which a handler uses to cut a response short) is
// logged and answered with an InternalError if nothing was sent yet.
func (s *Server) finish(rq *request) {
	p := recover()
	defer rq.w.clearWrite()
	if p != nil && p != http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
		rq.err = fmt.Errorf("panic: %v", p)
		s.log.Error("s3api: handler panic", slog.String("request_id", rq.id), slog.Any("panic", p))
		if !rq.w.wroteHeader {
			s.writeError(rq, ErrInternal.With(rq.err))
			p = nil
		} else {
			p = http.ErrAbortHandler
		}
	}
	status := rq.w.status
	if status == 0 {
		status = http.StatusOK // what net/http sends for a handler that sent nothing
	}
	var in int64
	if rq.auth != nil {
		in = rq.auth.Body.BytesRead()
	}
	d := time.Since(rq.start)
	s.logRequest(rq, status, in, d)
	if s.opts.Observer != nil {
		s.opts.Observer.ObserveRequest(rq.op.String(), status, in, rq.w.bytes, d)
	}
	if p != nil {
		panic(p)
	}
}

func (s *Server) logRequest(rq *request, status int, in int64, d time.Duration) {
	attrs := []slog.Attr{
		slog.String("request_id", rq.id),
		slog.String("method", rq.r.Method),
		slog.String("op", rq.op.String()),
		slog.String("bucket", rq.route.bucket),
		slog.String("key", rq.route.key),
		slog.Int("status", status),
		slog.Int64("bytes_out", rq.w.bytes),
		slog.Duration("duration", d),
		slog.String("remote", rq.r.RemoteAddr),
	}
	if rq.auth != nil {
		attrs = append(attrs, slog.Int64("bytes_in", in), slog.String("access_key", rq.auth.AccessKeyID))
	}
	level := slog.LevelInfo
	if rq.err != nil {
		attrs = append(attrs, slog.String("error", rq.err.Error()))
		if status >= 500 && status != http.StatusNotImplemented && rq.r.Context().Err() == nil {
			level = slog.LevelError
		}
	}
	s.log.LogAttrs(rq.r.Context(), level, "s3 request", attrs...)
}
