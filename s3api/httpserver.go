package s3api

import (
	"log/slog"
	"net/http"
	"time"
)

// Timeouts of NewHTTPServer.
const (
	// DefaultReadHeaderTimeout bounds how long a client may take to send
	// the request line and headers (slowloris).
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultIdleTimeout closes keep-alive connections idle this long.
	DefaultIdleTimeout = 2 * time.Minute
)

// NewHTTPServer returns an http.Server for h with settings fit for S3:
//
//   - ReadHeaderTimeout 10 s and IdleTimeout 2 min;
//   - no ReadTimeout or WriteTimeout, which would cut off large uploads
//     and downloads (bodies are bounded by the client's progress; a dead
//     peer is found by TCP keep-alive);
//   - MaxHeaderBytes maxHeaderBytes (0: DefaultMaxHeaderBytes); net/http
//     answers 431 beyond it (plus its own 4 KiB of slack), the Server
//     answers RequestHeaderSectionTooLarge between the two;
//   - net/http's own errors (TLS handshakes, malformed requests) go to
//     logger at Warn level.
func NewHTTPServer(addr string, h http.Handler, maxHeaderBytes int, logger *slog.Logger) *http.Server {
	if maxHeaderBytes <= 0 {
		maxHeaderBytes = DefaultMaxHeaderBytes
	}
	srv := &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		IdleTimeout:       DefaultIdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
	if logger != nil {
		srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	}
	return srv
}

// HTTPServer returns an http.Server serving s, configured as by
// NewHTTPServer with s's header limit and logger.
func (s *Server) HTTPServer(addr string) *http.Server {
	return NewHTTPServer(addr, s, s.opts.Limits.MaxHeaderBytes, s.log)
}
