package sigv4

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	testAK     = "AKIDEXAMPLE"
	testSK     = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testRegion = "us-east-1"
)

// testNow is the signing time used with signers that take one.
var testNow = time.Date(2024, 5, 24, 12, 0, 0, 0, time.UTC)

func testCredentials() StaticCredentials {
	return StaticCredentials{
		testAK:                 {SecretAccessKey: testSK},
		"AKIAIOSFODNN7EXAMPLE": {SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		"AKIDSESSION":          {SecretAccessKey: testSK, SessionToken: "session-token"},
	}
}

func newTestVerifier(t testing.TB, mod ...func(*Config)) *Verifier {
	t.Helper()
	cfg := Config{Credentials: testCredentials(), Regions: []string{testRegion, "eu-west-1"}}
	for _, m := range mod {
		m(&cfg)
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// wire serialises a client request and parses it back as a server would
// receive it: RequestURI, Host, header canonicalisation and body framing
// are those of a real connection.
func wire(t testing.TB, req *http.Request) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatalf("writing request: %v", err)
	}
	sreq, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("reading request back: %v\n%s", err, buf.String())
	}
	return sreq
}

// withBody replaces the body of a server request, keeping its headers.
func withBody(r *http.Request, body []byte) *http.Request {
	r.Body = io.NopCloser(bytes.NewReader(body))
	return r
}

// readBody drains the verified body.
func readBody(t testing.TB, res *Result) ([]byte, error) {
	t.Helper()
	// A small buffer exercises partial reads through every layer.
	var out bytes.Buffer
	buf := make([]byte, 1000)
	for {
		n, err := res.Body.Read(buf)
		out.Write(buf[:n])
		if err == io.EOF {
			return out.Bytes(), nil
		}
		if err != nil {
			return out.Bytes(), err
		}
	}
}

// mustVerify runs Verify and drains the body, failing the test on error.
func mustVerify(t testing.TB, v *Verifier, r *http.Request, now time.Time) (*Result, []byte) {
	t.Helper()
	res, err := v.Verify(r, now)
	if err != nil {
		var se *SignatureError
		if errors.As(err, &se) {
			t.Fatalf("Verify: %v\ncanonical request:\n%s\nstring to sign:\n%s", err, se.CanonicalRequest, se.StringToSign)
		}
		t.Fatalf("Verify: %v", err)
	}
	data, err := readBody(t, res)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return res, data
}

// verifyErr runs Verify and drains the body, returning the first error.
func verifyErr(t testing.TB, v *Verifier, r *http.Request, now time.Time) error {
	t.Helper()
	res, err := v.Verify(r, now)
	if err != nil {
		return err
	}
	_, err = readBody(t, res)
	return err
}

// wantErr checks that err matches sentinel.
func wantErr(t testing.TB, err, sentinel error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error = %v, want %v", err, sentinel)
	}
}

func repeatBytes(s string, n int) []byte {
	return []byte(strings.Repeat(s, n))
}

// pattern returns n bytes that are not all the same, so misplaced bytes
// show.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }

func md5b64(b []byte) string {
	s := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
