package s3test

import (
	"bytes"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func testConditionalRead(t *testing.T, h *harness) {
	b := h.bucket(t)
	put := h.put(t, b, "k", []byte("conditional"))
	etag := str(put.ETag)
	past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	future := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	for _, tc := range []struct {
		name   string
		header http.Header
		status int
	}{
		{"none", nil, 200},
		{"if-match", http.Header{"If-Match": {etag}}, 200},
		{"if-match unquoted in list", http.Header{"If-Match": {`"x", ` + etag[1:len(etag)-1]}}, 200},
		{"if-match star", http.Header{"If-Match": {"*"}}, 200},
		{"if-match wrong", http.Header{"If-Match": {`"abc"`}}, 412},
		{"if-none-match", http.Header{"If-None-Match": {etag}}, 304},
		{"if-none-match star", http.Header{"If-None-Match": {"*"}}, 304},
		{"if-none-match other", http.Header{"If-None-Match": {`"abc"`}}, 200},
		{"if-modified-since past", http.Header{"If-Modified-Since": {past}}, 200},
		{"if-modified-since future", http.Header{"If-Modified-Since": {future}}, 304},
		{"if-unmodified-since past", http.Header{"If-Unmodified-Since": {past}}, 412},
		{"if-unmodified-since future", http.Header{"If-Unmodified-Since": {future}}, 200},
		{"if-modified-since invalid", http.Header{"If-Modified-Since": {"yesterday"}}, 200},
		// S3's precedence rules.
		{"if-match true + if-unmodified-since false", http.Header{"If-Match": {etag}, "If-Unmodified-Since": {past}}, 200},
		{"if-none-match false + if-modified-since true", http.Header{"If-None-Match": {etag}, "If-Modified-Since": {past}}, 304},
		{"if-none-match true + if-modified-since false", http.Header{"If-None-Match": {`"abc"`}, "If-Modified-Since": {future}}, 200},
		{"if-match false + if-none-match false", http.Header{"If-Match": {`"abc"`}, "If-None-Match": {etag}}, 412},
	} {
		for _, method := range []string{"GET", "HEAD"} {
			r := h.do(t, rawRequest{method: method, path: "/" + b + "/k", header: tc.header})
			if r.status != tc.status {
				t.Errorf("%s %s: %d, want %d", method, tc.name, r.status, tc.status)
				continue
			}
			switch {
			case r.status == 304 && (len(r.body) != 0 || r.header.Get("Etag") != etag):
				t.Errorf("%s %s: 304 with %d body bytes, ETag %q", method, tc.name, len(r.body), r.header.Get("Etag"))
			case r.status == 412 && method == "GET":
				r.wantError(t, 412, "PreconditionFailed")
			case r.status == 200 && method == "GET" && string(r.body) != "conditional":
				t.Errorf("%s %s: body %q", method, tc.name, r.body)
			}
		}
	}
}

func testConditionalWrite(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	in := func(key, data string) *s3.PutObjectInput {
		return &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader([]byte(data))}
	}
	// If-None-Match: * creates only.
	p := in("k", "first")
	p.IfNoneMatch = aws.String("*")
	put, err := h.aws.PutObject(c, p)
	check(t, err, "PutObject If-None-Match * on a new key")
	p = in("k", "second")
	p.IfNoneMatch = aws.String("*")
	_, err = h.aws.PutObject(c, p)
	wantCode(t, err, "PreconditionFailed", 412)

	// If-Match replaces only that version.
	p = in("k", "third")
	p.IfMatch = aws.String(`"0123456789abcdef0123456789abcdef"`)
	_, err = h.aws.PutObject(c, p)
	wantCode(t, err, "PreconditionFailed", 412)
	p = in("k", "third")
	p.IfMatch = put.ETag
	_, err = h.aws.PutObject(c, p)
	check(t, err, "PutObject If-Match current ETag")
	p = in("missing", "x")
	p.IfMatch = put.ETag
	_, err = h.aws.PutObject(c, p)
	wantCode(t, err, "NoSuchKey", 404)
	if got, _ := h.get(t, b, "k"); string(got) != "third" {
		t.Fatalf("after conditional writes: %q", got)
	}
	h.wantMissing(t, b, "missing")
	// S3 supports only "*" for If-None-Match on writes.
	h.do(t, rawRequest{method: "PUT", path: "/" + b + "/k", body: []byte("x"), header: http.Header{"If-None-Match": {`"abc"`}}}).wantError(t, 501, "NotImplemented")

	// CopyObject destination conditions.
	_, err = h.aws.CopyObject(c, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("k"), CopySource: aws.String(b + "/k"),
		MetadataDirective: "REPLACE", IfNoneMatch: aws.String("*")})
	wantCode(t, err, "PreconditionFailed", 412)
}

// testRacingConditionalPut: of concurrent If-None-Match: * writes of one
// key exactly one succeeds, and the object is the winner's.
func testRacingConditionalPut(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	const writers = 8
	for round := range 3 {
		key := "race-" + string(rune('a'+round))
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, writers)
		for i := range writers {
			wg.Go(func() {
				data := pattern(50000+i, uint64(i))
				<-start
				_, errs[i] = h.aws.PutObject(c, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key),
					Body: bytes.NewReader(data), IfNoneMatch: aws.String("*")})
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			if err == nil {
				if winner >= 0 {
					t.Fatalf("round %d: writers %d and %d both succeeded", round, winner, i)
				}
				winner = i
				continue
			}
			if code, status := errorCode(err); !(status == 412 && code == "PreconditionFailed") && !(status == 409 && code == "ConditionalRequestConflict") {
				t.Fatalf("round %d writer %d: %v", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no writer succeeded", round)
		}
		if got, _ := h.get(t, b, key); !bytes.Equal(got, pattern(50000+winner, uint64(winner))) {
			t.Fatalf("round %d: object is not the winner's", round)
		}
	}

	// Every writer is in the middle of its body, past any early check of
	// the condition, before any of them can finish: the decision must be
	// made when publishing.
	before := h.track.count()
	held := make([]*heldRequest, writers)
	for i := range writers {
		held[i] = h.hold(t, rawRequest{method: "PUT", path: "/" + b + "/held", body: pattern(1000+i, uint64(i)),
			header: http.Header{"If-None-Match": {"*"}}})
	}
	h.track.waitStarted(t, before+writers)
	var wg sync.WaitGroup
	resps := make([]rawResponse, writers)
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() { resps[i], errs[i] = held[i].release() })
	}
	wg.Wait()
	winner := -1
	for i, r := range resps {
		check(t, errs[i], "held PUT")
		switch {
		case r.status == 200 && winner < 0:
			winner = i
		case r.status == 200:
			t.Fatalf("held writers %d and %d both succeeded", winner, i)
		case r.status != 412 && r.status != 409:
			t.Fatalf("held writer %d: %d %s", i, r.status, r.body)
		}
	}
	if winner < 0 {
		t.Fatalf("no held writer succeeded")
	}
	if got, _ := h.get(t, b, "held"); !bytes.Equal(got, pattern(1000+winner, uint64(winner))) {
		t.Fatalf("held: object is not the winner's")
	}
}
