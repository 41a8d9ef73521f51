package s3test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Hand-made requests, for what SDK clients cannot or will not send.

// rawRequest describes one request to the plain-HTTP server.
type rawRequest struct {
	method string
	path   string // escaped path, e.g. "/bucket/a%20b"
	query  string // raw query
	header http.Header
	body   []byte
	// unsigned sends UNSIGNED-PAYLOAD instead of the body's SHA-256.
	unsigned bool
	// payloadHash, if set, is sent as x-amz-content-sha256 instead.
	payloadHash string
	// chunked sends the body without Content-Length.
	chunked bool
	// anonymous leaves the request unsigned.
	anonymous bool
}

// rawResponse is a response read whole.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

// s3Error is an S3 error document.
type s3Error struct {
	Code, Message, Resource string
	RequestID               string `xml:"RequestId"`
}

func (r rawResponse) err(t *testing.T) s3Error {
	t.Helper()
	var e s3Error
	if err := xml.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("status %d, error body does not parse: %v\n%s", r.status, err, r.body)
	}
	return e
}

// wantError checks status, code and the common error fields.
func (r rawResponse) wantError(t *testing.T, status int, code string) s3Error {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	e := r.err(t)
	if e.Code != code {
		t.Fatalf("code %s, want %s: %s", e.Code, code, r.body)
	}
	if e.RequestID == "" || e.RequestID != r.header.Get("X-Amz-Request-Id") || e.Resource == "" {
		t.Fatalf("error lacks RequestId (header %q) or Resource: %s", r.header.Get("X-Amz-Request-Id"), r.body)
	}
	return e
}

// sign signs req for the suite's credentials.
func sign(req *http.Request, payloadHash string, when time.Time) error {
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	return s.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: AccessKey, SecretAccessKey: SecretKey},
		req, payloadHash, "s3", Region, when)
}

func (h *harness) newRawRequest(t *testing.T, rr rawRequest) *http.Request {
	t.Helper()
	u := h.plainSrv.URL + rr.path
	if rr.query != "" {
		u += "?" + rr.query
	}
	var body io.Reader
	if rr.body != nil {
		body = bytes.NewReader(rr.body)
	}
	req, err := http.NewRequest(rr.method, u, body)
	check(t, err, "NewRequest")
	if rr.chunked {
		req.Body = io.NopCloser(bytes.NewReader(rr.body))
		req.ContentLength = -1
	}
	for k, v := range rr.header {
		req.Header[k] = v
	}
	if !rr.anonymous {
		hash := "UNSIGNED-PAYLOAD"
		if !rr.unsigned {
			s := sha256.Sum256(rr.body)
			hash = hex.EncodeToString(s[:])
		}
		if rr.payloadHash != "" {
			hash = rr.payloadHash
		}
		check(t, sign(req, hash, time.Now()), "signing")
	}
	return req
}

// do sends rr and reads the whole response.
func (h *harness) do(t *testing.T, rr rawRequest) rawResponse {
	t.Helper()
	resp, err := h.plainSrv.Client().Do(h.newRawRequest(t, rr))
	check(t, err, rr.method+" "+rr.path)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	check(t, err, "reading response")
	if resp.Header.Get("X-Amz-Request-Id") == "" || resp.Header.Get("X-Amz-Id-2") == "" {
		t.Fatalf("%s %s: response without x-amz-request-id or x-amz-id-2", rr.method, rr.path)
	}
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// sendPartial writes the signed request for rr (with its full
// Content-Length) on a fresh connection but only the first n bytes of its
// body. With closeWrite it half-closes the connection and returns the
// response; otherwise it closes the connection and returns nothing.
func (h *harness) sendPartial(t *testing.T, rr rawRequest, n int, closeWrite bool) *rawResponse {
	return h.sendRaw(t, rr, int64(len(rr.body)), n, closeWrite)
}

// heldRequest is a request sent but for the last byte of its body.
type heldRequest struct {
	conn net.Conn
	req  *http.Request
	last []byte
}

// hold sends rr except for the last byte of its (non-empty) body.
func (h *harness) hold(t *testing.T, rr rawRequest) *heldRequest {
	t.Helper()
	req := h.newRawRequest(t, rr)
	var head bytes.Buffer
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", req.Method, req.URL.RequestURI(), req.Host, len(rr.body))
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&head, "%s: %s\r\n", k, v)
		}
	}
	head.WriteString("\r\n")
	conn, err := net.Dial("tcp", h.plainSrv.Listener.Addr().String())
	check(t, err, "dial")
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	n := len(rr.body) - 1
	_, err = conn.Write(append(head.Bytes(), rr.body[:n]...))
	check(t, err, "writing request")
	return &heldRequest{conn: conn, req: req, last: rr.body[n:]}
}

// release sends the last byte and reads the response.
func (hr *heldRequest) release() (rawResponse, error) {
	if _, err := hr.conn.Write(hr.last); err != nil {
		return rawResponse{}, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(hr.conn), hr.req)
	if err != nil {
		return rawResponse{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: b}, err
}

// sendRaw is sendPartial with a declared Content-Length of its own.
func (h *harness) sendRaw(t *testing.T, rr rawRequest, contentLength int64, n int, closeWrite bool) *rawResponse {
	t.Helper()
	req := h.newRawRequest(t, rr)
	var head bytes.Buffer
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", req.Method, req.URL.RequestURI(), req.Host, contentLength)
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&head, "%s: %s\r\n", k, v)
		}
	}
	head.WriteString("\r\n")
	conn, err := net.Dial("tcp", h.plainSrv.Listener.Addr().String())
	check(t, err, "dial")
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	_, err = conn.Write(append(head.Bytes(), rr.body[:n]...))
	check(t, err, "writing partial request")
	if !closeWrite {
		return nil
	}
	if n == len(rr.body) && int64(n) == contentLength {
		// Nothing is missing: just read the answer.
	} else if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	check(t, err, "reading response")
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &rawResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// escapeKey percent-encodes a key for a request path.
func escapeKey(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~/", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// awsChunkedUnsigned frames data as an unsigned aws-chunked body with a
// checksum trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER), in chunks of
// chunkSize, and returns the body and the headers announcing it.
func awsChunkedUnsigned(data []byte, chunkSize int, trailerName, trailerValue string) ([]byte, http.Header) {
	var b bytes.Buffer
	for off := 0; off < len(data); off += chunkSize {
		end := min(off+chunkSize, len(data))
		fmt.Fprintf(&b, "%x\r\n", end-off)
		b.Write(data[off:end])
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "0\r\n%s:%s\r\n\r\n", trailerName, trailerValue)
	return b.Bytes(), http.Header{
		"Content-Encoding":             {"aws-chunked"},
		"X-Amz-Decoded-Content-Length": {fmt.Sprint(len(data))},
		"X-Amz-Trailer":                {trailerName},
	}
}
