package sigv4

import (
	"strings"
	"time"
)

// Result describes a request whose signature Verify accepted.
type Result struct {
	// AccessKeyID is the key that signed the request.
	AccessKeyID string
	// Region is the region named in the credential scope.
	Region string
	// SignedAt is the signing time (X-Amz-Date or Date).
	SignedAt time.Time
	// Presigned reports query-string (presigned URL) authentication.
	Presigned bool
	// Expires is when a presigned URL stops being valid; zero otherwise.
	Expires time.Time
	// SignedHeaders lists the lower-case names of the signed headers.
	SignedHeaders []string
	// Payload is how the body is authenticated.
	Payload PayloadMode
	// DecodedContentLength is the length of Body: Content-Length, or
	// x-amz-decoded-content-length for aws-chunked bodies; -1 if unknown.
	DecodedContentLength int64
	// ContentEncoding is Content-Encoding with the aws-chunked coding
	// removed: the encoding to store with the object.
	ContentEncoding string
	// Body is the decoded, verifying request body. See Body.
	Body *Body
}

// IsSigned reports whether the named header (any case) was signed.
func (r *Result) IsSigned(header string) bool {
	for _, h := range r.SignedHeaders {
		if strings.EqualFold(h, header) {
			return true
		}
	}
	return false
}
