package s3api

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// Idle timeouts for bodies. http.Server's ReadTimeout and WriteTimeout
// bound a whole request, which no fixed value can do for uploads and
// downloads of up to 5 GiB. Instead every read of the request body and
// every write of the response pushes the connection's deadline
// Limits.BodyIdleTimeout into the future: a transfer may take as long as
// it needs, as long as it moves.

// deadlineBody extends the read deadline before each read of the request
// body.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
	off  bool // the connection does not support deadlines
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	if !b.off && b.rc.SetReadDeadline(time.Now().Add(b.idle)) != nil {
		b.off = true
	}
	n, err := b.ReadCloser.Read(p)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		err = ErrRequestTimeout.With(err)
	}
	return n, err
}

// extendWrite pushes the write deadline before a write of the response.
func (w *responseWriter) extendWrite() {
	if w.rc != nil && w.rc.SetWriteDeadline(time.Now().Add(w.idle)) != nil {
		w.rc = nil
	}
}

// clearWrite removes the write deadline, which net/http would otherwise
// leave in place for the next request on the connection.
func (w *responseWriter) clearWrite() {
	if w.rc != nil {
		w.rc.SetWriteDeadline(time.Time{})
	}
}
