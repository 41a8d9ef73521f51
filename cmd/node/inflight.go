package main

import (
	"net/http"
	"sync"
	"time"
)

// inflight tracks the requests being handled, so that the store is closed
// only after the last handler has let go of it (the store wants its
// readers closed first). http.Server.Shutdown waits for connections, but
// after a forced Close handlers may still be running.
type inflight struct {
	mu      sync.Mutex
	closing bool
	wg      sync.WaitGroup
}

// wrap counts every request h handles. Once closing, it refuses new ones.
func (f *inflight) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		if f.closing {
			f.mu.Unlock()
			w.Header().Set("Connection", "close")
			http.Error(w, "mapstore is shutting down", http.StatusServiceUnavailable)
			return
		}
		f.wg.Add(1)
		f.mu.Unlock()
		defer f.wg.Done()
		h.ServeHTTP(w, r)
	})
}

// close refuses new requests and waits up to d for those in flight to
// finish. It reports whether they did.
func (f *inflight) close(d time.Duration) bool {
	f.mu.Lock()
	f.closing = true // no wg.Add after this, so Wait is safe
	f.mu.Unlock()
	done := make(chan struct{})
	go func() {
		f.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}
