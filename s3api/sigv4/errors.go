package sigv4

import (
	"errors"
	"net/http"
)

// codedError is the type of every sentinel error in this package. It carries
// the S3 error code and HTTP status the server should answer with. A sentinel
// may refine a more general one (parent): errors.Is matches both.
type codedError struct {
	msg    string
	code   string
	status int
	parent error
}

func (e *codedError) Error() string { return e.msg }

// Unwrap returns the more general sentinel this one refines, if any.
func (e *codedError) Unwrap() error { return e.parent }

func newError(code string, status int, msg string) error {
	return &codedError{msg: msg, code: code, status: status}
}

// refine returns a sentinel with its own message that shares the code and
// status of parent and matches it under errors.Is.
func refine(parent error, msg string) error {
	p := parent.(*codedError)
	return &codedError{msg: msg, code: p.code, status: p.status, parent: parent}
}

// Authentication errors.
var (
	// ErrAccessDenied is the general "403 AccessDenied".
	ErrAccessDenied = newError("AccessDenied", http.StatusForbidden, "access denied")

	// ErrMissingAuth: the request carries neither an Authorization header
	// nor presigned query parameters (an anonymous request). A server that
	// allows anonymous access to some resources tests for this error.
	ErrMissingAuth = refine(ErrAccessDenied, "request is not signed")

	// ErrRequestExpired: a presigned URL used after X-Amz-Date+X-Amz-Expires.
	// S3 answers 403 AccessDenied "Request has expired".
	ErrRequestExpired = refine(ErrAccessDenied, "request has expired")

	// ErrRequestNotYetValid: a presigned URL whose X-Amz-Date lies further
	// in the future than the allowed clock skew.
	ErrRequestNotYetValid = refine(ErrAccessDenied, "request is not valid yet")

	// ErrMissingDate: neither a valid X-Amz-Date nor a valid Date header.
	// S3 answers 403 AccessDenied.
	ErrMissingDate = refine(ErrAccessDenied, "authentication requires a valid Date or x-amz-date header")

	// ErrSignatureDoesNotMatch: the request signature is wrong. Failures
	// during Verify are reported as a *SignatureError wrapping it.
	ErrSignatureDoesNotMatch = newError("SignatureDoesNotMatch", http.StatusForbidden,
		"the request signature we calculated does not match the signature you provided")

	// ErrChunkSignatureMismatch: a chunk signature of a signed aws-chunked
	// body is wrong (S3 code SignatureDoesNotMatch).
	ErrChunkSignatureMismatch = refine(ErrSignatureDoesNotMatch, "chunk signature does not match")

	// ErrTrailerSignatureMismatch: the x-amz-trailer-signature of a signed
	// aws-chunked body is wrong (S3 code SignatureDoesNotMatch).
	ErrTrailerSignatureMismatch = refine(ErrSignatureDoesNotMatch, "trailer signature does not match")

	// ErrInvalidAccessKeyID: the access key is not known to the
	// CredentialsLookup. A lookup signals this by returning an error that
	// wraps it.
	ErrInvalidAccessKeyID = newError("InvalidAccessKeyId", http.StatusForbidden,
		"the access key id you provided does not exist in our records")

	// ErrRequestTimeTooSkewed: header-signed request dated too far from now.
	ErrRequestTimeTooSkewed = newError("RequestTimeTooSkewed", http.StatusForbidden,
		"the difference between the request time and the server's time is too large")

	// ErrAuthorizationHeaderMalformed: the Authorization header cannot be
	// parsed, or its credential scope (date, region, service, terminator)
	// is not acceptable.
	ErrAuthorizationHeaderMalformed = newError("AuthorizationHeaderMalformed", http.StatusBadRequest,
		"the authorization header is malformed")

	// ErrAuthorizationQueryParametersError: the X-Amz-* presign query
	// parameters are missing, repeated or malformed, or the credential scope
	// is not acceptable.
	ErrAuthorizationQueryParametersError = newError("AuthorizationQueryParametersError", http.StatusBadRequest,
		"error parsing the X-Amz-Credential parameters")

	// ErrUnsupportedAuthorization: a signature scheme other than
	// AWS4-HMAC-SHA256 (Signature Version 2, SigV4a). S3 answers 400
	// InvalidRequest.
	ErrUnsupportedAuthorization = newError("InvalidRequest", http.StatusBadRequest,
		"the authorization mechanism you have provided is not supported; please use AWS4-HMAC-SHA256")

	// ErrInvalidToken: an X-Amz-Security-Token was sent for credentials that
	// have none, or does not match the credentials' session token.
	ErrInvalidToken = newError("InvalidToken", http.StatusBadRequest,
		"the provided token is malformed or otherwise invalid")
)

// Request argument errors.
var (
	// ErrInvalidArgument is the general "400 InvalidArgument".
	ErrInvalidArgument = newError("InvalidArgument", http.StatusBadRequest, "invalid argument")

	// ErrInvalidContentSHA256: x-amz-content-sha256 is neither a hex SHA-256
	// nor one of the supported payload keywords (S3 code InvalidArgument).
	ErrInvalidContentSHA256 = refine(ErrInvalidArgument, "invalid x-amz-content-sha256")

	// ErrMissingContentSHA256: a header-signed request with a body lacks
	// x-amz-content-sha256 (S3 code MissingSecurityHeader).
	ErrMissingContentSHA256 = newError("MissingSecurityHeader", http.StatusBadRequest,
		"missing required header for this request: x-amz-content-sha256")
)

// Payload integrity errors. These surface either from Verify (malformed
// header values) or from reading Result.Body.
var (
	// ErrContentSHA256Mismatch: the body does not hash to x-amz-content-sha256.
	ErrContentSHA256Mismatch = newError("XAmzContentSHA256Mismatch", http.StatusBadRequest,
		"the provided x-amz-content-sha256 header does not match what was computed")

	// ErrBadDigest: the body does not match Content-MD5.
	ErrBadDigest = newError("BadDigest", http.StatusBadRequest,
		"the Content-MD5 you specified did not match what we received")

	// ErrInvalidDigest: Content-MD5 is not the base64 of 16 bytes.
	ErrInvalidDigest = newError("InvalidDigest", http.StatusBadRequest,
		"the Content-MD5 you specified is not valid")

	// ErrChecksumMismatch: the body does not match the x-amz-checksum-*
	// header or trailer. S3 answers 400 BadDigest.
	ErrChecksumMismatch = newError("BadDigest", http.StatusBadRequest,
		"the checksum you specified did not match the calculated checksum")

	// ErrInvalidChecksum: an x-amz-checksum-* value is not valid base64 of
	// the algorithm's digest size, more than one checksum was supplied, or
	// x-amz-trailer names something other than a supported checksum. S3
	// answers 400 InvalidRequest.
	ErrInvalidChecksum = newError("InvalidRequest", http.StatusBadRequest, "invalid checksum")

	// ErrIncompleteBody: the body ended before the framing, the declared
	// chunk sizes or x-amz-decoded-content-length said it would.
	ErrIncompleteBody = newError("IncompleteBody", http.StatusBadRequest,
		"you did not provide the number of bytes specified")

	// ErrDecodedLengthMismatch: the decoded aws-chunked body is longer or
	// shorter than x-amz-decoded-content-length (S3 code IncompleteBody).
	ErrDecodedLengthMismatch = refine(ErrIncompleteBody, "decoded body length does not match x-amz-decoded-content-length")

	// ErrMalformedChunk: the aws-chunked framing is invalid (bad chunk
	// header, missing CRLF after the chunk data, data after the end). S3
	// answers 400 InvalidRequest.
	ErrMalformedChunk = newError("InvalidRequest", http.StatusBadRequest, "malformed aws-chunked encoding")

	// ErrChunkTooLarge: a chunk declares more bytes than the configured
	// maximum (S3 code InvalidRequest).
	ErrChunkTooLarge = refine(ErrMalformedChunk, "aws-chunked chunk exceeds the maximum chunk size")

	// ErrMalformedTrailer: the trailing headers of an aws-chunked body are
	// malformed, undeclared, repeated or missing.
	ErrMalformedTrailer = newError("MalformedTrailerError", http.StatusBadRequest,
		"the request contained trailing data that was not well-formed")
)

// SignatureError reports a request signature mismatch together with the
// material S3 echoes back to help clients debug (none of it is secret). It
// wraps ErrSignatureDoesNotMatch.
type SignatureError struct {
	CanonicalRequest  string
	StringToSign      string
	SignatureProvided string
}

func (e *SignatureError) Error() string { return ErrSignatureDoesNotMatch.Error() }

// Unwrap returns ErrSignatureDoesNotMatch.
func (e *SignatureError) Unwrap() error { return ErrSignatureDoesNotMatch }

// S3Code maps an error returned by this package (from Verify or from reading
// Result.Body) to the S3 error code and HTTP status to answer with. The most
// specific sentinel in the chain wins. Errors that wrap no sentinel of this
// package (for example a failing CredentialsLookup or a broken connection)
// map to "InternalError", 500. A nil error maps to "", 200.
func S3Code(err error) (code string, status int) {
	if err == nil {
		return "", http.StatusOK
	}
	var ce *codedError
	if errors.As(err, &ce) {
		return ce.code, ce.status
	}
	return "InternalError", http.StatusInternalServerError
}
