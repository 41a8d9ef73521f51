package s3api_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"mapstore/s3api"
	"mapstore/s3api/sigv4"
)

// observation is one ObserveRequest call.
type observation struct {
	op      string
	status  int
	in, out int64
	d       time.Duration
}

// recordingObserver keeps every observation.
type recordingObserver struct {
	mu  sync.Mutex
	obs []observation
}

func (o *recordingObserver) ObserveRequest(op string, status int, in, out int64, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.obs = append(o.obs, observation{op, status, in, out, d})
}

// TestObserver: the Observer is called once per request with the
// operation, the status sent and the bytes read and written, including
// for a request refused before its operation is known.
func TestObserver(t *testing.T) {
	var rec recordingObserver
	backend := newMemBackend()
	s, err := s3api.New(s3api.Options{
		Backend:  backend,
		Auth:     sigv4.Config{Credentials: sigv4.StaticCredentials{testAK: {AccessKeyID: testAK, SecretAccessKey: testSK}}},
		Observer: &rec,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := backend.CreateBucket(t.Context(), "b"); err != nil {
		t.Fatal(err)
	}
	unsigned := httptest.NewRequest("GET", "http://localhost/b/k", nil)
	var bodies []int
	for _, r := range []*http.Request{
		signedRequest(t, "PUT", "http://localhost/b/k", nil, []byte("hello")),
		signedRequest(t, "GET", "http://localhost/b/k", nil, nil),
		signedRequest(t, "GET", "http://localhost/b/missing", nil, nil),
		unsigned,
	} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		bodies = append(bodies, w.Body.Len())
	}
	want := []observation{
		{op: "PutObject", status: 200, in: 5, out: 0},
		{op: "GetObject", status: 200, in: 0, out: 5},
		{op: "GetObject", status: 404, in: 0, out: int64(bodies[2])},
		{op: s3api.OpUnknown, status: 403, in: 0, out: int64(bodies[3])},
	}
	if len(rec.obs) != len(want) {
		t.Fatalf("%d observations, want %d: %+v", len(rec.obs), len(want), rec.obs)
	}
	for i, got := range rec.obs {
		if got.d <= 0 {
			t.Errorf("observation %d: duration %v", i, got.d)
		}
		got.d = 0
		if got != want[i] {
			t.Errorf("observation %d: %+v, want %+v", i, got, want[i])
		}
	}
	if bodies[2] == 0 || bodies[3] == 0 {
		t.Errorf("error answers without a body: %v", bodies)
	}
}
