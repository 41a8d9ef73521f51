package s3client

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ResponseError is an answer outside 2xx. Operations return it wrapped
// with their name and object; find it with errors.As, or ask the Is
// helpers below.
type ResponseError struct {
	// StatusCode is the HTTP status, e.g. 404.
	StatusCode int
	// Code is the S3 error code, e.g. "NoSuchKey"; for an answer without
	// an error document (HEAD, or a proxy's page) it is derived from the
	// status: "NotFound", "PreconditionFailed", "Forbidden", ...
	Code string
	// Message is the human-readable explanation, if the server sent one.
	Message string
	// RequestID is the server's id of the request (x-amz-request-id), to
	// find it in the server's log.
	RequestID string
}

func (e *ResponseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", e.StatusCode, e.Code)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	return b.String()
}

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// readError turns a response outside 2xx into a *ResponseError, reading
// (part of) its body. The caller closes the body.
func readError(resp *http.Response) *ResponseError {
	e := &ResponseError{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("X-Amz-Request-Id")}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var doc struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string
		Message   string
		RequestID string `xml:"RequestId"`
	}
	if len(body) > 0 && xml.Unmarshal(body, &doc) == nil {
		e.Code, e.Message = doc.Code, doc.Message
		if doc.RequestID != "" {
			e.RequestID = doc.RequestID
		}
	}
	if e.Code == "" {
		// What the AWS SDKs call an error without a document.
		e.Code = strings.ReplaceAll(http.StatusText(resp.StatusCode), " ", "")
		if e.Code == "" {
			e.Code = "UnknownError"
		}
	}
	return e
}

// IsNotFound reports whether err is a 404 answer: NoSuchKey,
// NoSuchBucket, NoSuchUpload, or NotFound from a HEAD.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsPreconditionFailed reports whether err is a 412 answer: an If-Match
// or If-None-Match (including If-None-Match: * on a write) did not hold.
func IsPreconditionFailed(err error) bool {
	return StatusCode(err) == http.StatusPreconditionFailed
}

// IsNotModified reports whether err is a 304 answer to a GET or HEAD
// with If-None-Match or If-Modified-Since.
func IsNotModified(err error) bool { return StatusCode(err) == http.StatusNotModified }

// HasCode reports whether err is an answer with S3 error code code, such
// as "BucketAlreadyOwnedByYou".
func HasCode(err error, code string) bool {
	var e *ResponseError
	return errors.As(err, &e) && e.Code == code
}

// StatusCode returns the HTTP status of the answer err carries, or 0 if
// err is not an answer (nil, or a failure to get one).
func StatusCode(err error) int {
	var e *ResponseError
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}
