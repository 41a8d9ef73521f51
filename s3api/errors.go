package s3api

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"mapstore/s3api/sigv4"
)

// Error is an S3 error response: a code clients switch on, its HTTP
// status, and a message for people.
//
//	<?xml version="1.0" encoding="UTF-8"?>
//	<Error>
//	  <Code>NoSuchKey</Code>
//	  <Message>The specified key does not exist.</Message>
//	  <Resource>/bucket/key</Resource>
//	  <RequestId>...</RequestId>
//	</Error>
type Error struct {
	Code    string
	Status  int
	Message string
	// Extra elements some errors carry (BucketName, Key, ...).
	Extra map[string]string
	// Err is the cause, for logs; never sent to the client.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNoSuchKey) true for any *Error with that code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// With returns a copy of e with a cause attached.
func (e *Error) With(cause error) *Error {
	c := *e
	c.Err = cause
	return &c
}

// Withf returns a copy of e with a more specific message.
func (e *Error) Withf(format string, args ...any) *Error {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	return &c
}

func s3err(code string, status int, msg string) *Error {
	return &Error{Code: code, Status: status, Message: msg}
}

// The S3 errors mapstore returns, with the codes and statuses AWS uses.
var (
	ErrAccessDenied                 = s3err("AccessDenied", http.StatusForbidden, "Access Denied.")
	ErrBadDigest                    = s3err("BadDigest", http.StatusBadRequest, "The Content-MD5 or checksum you specified did not match what was received.")
	ErrBucketAlreadyExists          = s3err("BucketAlreadyExists", http.StatusConflict, "The requested bucket name is not available.")
	ErrBucketAlreadyOwnedByYou      = s3err("BucketAlreadyOwnedByYou", http.StatusConflict, "Your previous request to create the named bucket succeeded and you already own it.")
	ErrBucketNotEmpty               = s3err("BucketNotEmpty", http.StatusConflict, "The bucket you tried to delete is not empty.")
	ErrEntityTooLarge               = s3err("EntityTooLarge", http.StatusBadRequest, "Your proposed upload exceeds the maximum allowed object size.")
	ErrEntityTooSmall               = s3err("EntityTooSmall", http.StatusBadRequest, "Your proposed upload is smaller than the minimum allowed object size.")
	ErrIncompleteBody               = s3err("IncompleteBody", http.StatusBadRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	ErrInternal                     = s3err("InternalError", http.StatusInternalServerError, "We encountered an internal error. Please try again.")
	ErrInvalidArgument              = s3err("InvalidArgument", http.StatusBadRequest, "Invalid Argument.")
	ErrInvalidBucketName            = s3err("InvalidBucketName", http.StatusBadRequest, "The specified bucket is not valid.")
	ErrInvalidDigest                = s3err("InvalidDigest", http.StatusBadRequest, "The Content-MD5 or checksum you specified is not valid.")
	ErrInvalidLocationConstraint    = s3err("InvalidLocationConstraint", http.StatusBadRequest, "The specified location-constraint is not valid.")
	ErrInvalidPart                  = s3err("InvalidPart", http.StatusBadRequest, "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.")
	ErrInvalidPartNumber            = s3err("InvalidPartNumber", http.StatusRequestedRangeNotSatisfiable, "The requested partnumber is not satisfiable.")
	ErrInvalidPartOrder             = s3err("InvalidPartOrder", http.StatusBadRequest, "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
	ErrInvalidRange                 = s3err("InvalidRange", http.StatusRequestedRangeNotSatisfiable, "The requested range is not satisfiable.")
	ErrInvalidRequest               = s3err("InvalidRequest", http.StatusBadRequest, "Invalid Request.")
	ErrInvalidURI                   = s3err("InvalidURI", http.StatusBadRequest, "Couldn't parse the specified URI.")
	ErrKeyTooLong                   = s3err("KeyTooLongError", http.StatusBadRequest, "Your key is too long.")
	ErrMalformedXML                 = s3err("MalformedXML", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema.")
	ErrMetadataTooLarge             = s3err("MetadataTooLarge", http.StatusBadRequest, "Your metadata headers exceed the maximum allowed metadata size.")
	ErrMethodNotAllowed             = s3err("MethodNotAllowed", http.StatusMethodNotAllowed, "The specified method is not allowed against this resource.")
	ErrMissingRequestBody           = s3err("MissingRequestBodyError", http.StatusBadRequest, "Request Body is empty.")
	ErrMissingContentLength         = s3err("MissingContentLength", http.StatusLengthRequired, "You must provide the Content-Length HTTP header.")
	ErrNoSuchBucket                 = s3err("NoSuchBucket", http.StatusNotFound, "The specified bucket does not exist.")
	ErrNoSuchKey                    = s3err("NoSuchKey", http.StatusNotFound, "The specified key does not exist.")
	ErrNoSuchUpload                 = s3err("NoSuchUpload", http.StatusNotFound, "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.")
	ErrNotImplemented               = s3err("NotImplemented", http.StatusNotImplemented, "A header or query you provided implies functionality that is not implemented.")
	ErrNotModified                  = s3err("NotModified", http.StatusNotModified, "Not Modified.")
	ErrPreconditionFailed           = s3err("PreconditionFailed", http.StatusPreconditionFailed, "At least one of the preconditions you specified did not hold.")
	ErrConditionalRequestConflict   = s3err("ConditionalRequestConflict", http.StatusConflict, "A conflicting operation occurred. If using PutObject you can retry the request.")
	ErrRequestHeaderSectionTooLarge = s3err("RequestHeaderSectionTooLarge", http.StatusBadRequest, "Your request header section exceeds the maximum allowed size.")
	ErrRequestTimeout               = s3err("RequestTimeout", http.StatusBadRequest, "Your socket connection to the server was not read from or written to within the timeout period.")
	ErrServiceUnavailable           = s3err("ServiceUnavailable", http.StatusServiceUnavailable, "Please reduce your request rate.")
	ErrStorageFull                  = s3err("XMapstoreStorageFull", http.StatusInsufficientStorage, "The storage is full: delete objects to make room.")
	ErrTooManyParts                 = s3err("InvalidArgument", http.StatusBadRequest, "Part number must be an integer between 1 and 10000, inclusive.")
)

// ErrInvalidPartNumberArgument is the answer to a partNumber query
// parameter outside 1 to 10000 (the same error as ErrTooManyParts).
var ErrInvalidPartNumberArgument = ErrTooManyParts

// errorBody is the XML document of an error response.
type errorBody struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string
	Message   string
	Extra     []extraElem
	Resource  string `xml:",omitempty"`
	RequestID string `xml:"RequestId"`
	HostID    string `xml:"HostId"`
}

type extraElem struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

// AsError turns any error into the S3 error to send:
//
//   - an *Error in its chain is used as it is, unless it is an
//     InternalError wrapping one of the cases below;
//   - an error of package sigv4 (from Verify, or from reading the
//     verifying body, possibly wrapped by a Backend) gets the S3 code and
//     status sigv4.S3Code assigns it, e.g. BadDigest or
//     SignatureDoesNotMatch;
//   - a body that ended early (io.ErrUnexpectedEOF) is IncompleteBody;
//   - anything else is an InternalError; its cause is only logged.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) && e.Code != ErrInternal.Code {
		return e
	}
	if code, status := sigv4.S3Code(err); code != ErrInternal.Code && code != "" {
		se := &Error{Code: code, Status: status, Message: sentence(sigv4Message(err)), Err: err}
		var sig *sigv4.SignatureError
		if errors.As(err, &sig) {
			se.Message = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
			se.Extra = map[string]string{
				"SignatureProvided": sig.SignatureProvided,
				"StringToSign":      sig.StringToSign,
				"CanonicalRequest":  sig.CanonicalRequest,
			}
		}
		return se
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrIncompleteBody.With(err)
	}
	if e != nil {
		return e
	}
	return ErrInternal.With(err)
}

// sigv4Sentinels are the errors of package sigv4, for sigv4Message.
var sigv4Sentinels = []error{
	sigv4.ErrAccessDenied, sigv4.ErrMissingAuth, sigv4.ErrRequestExpired, sigv4.ErrRequestNotYetValid,
	sigv4.ErrMissingDate, sigv4.ErrSignatureDoesNotMatch, sigv4.ErrChunkSignatureMismatch,
	sigv4.ErrTrailerSignatureMismatch, sigv4.ErrInvalidAccessKeyID, sigv4.ErrRequestTimeTooSkewed,
	sigv4.ErrAuthorizationHeaderMalformed, sigv4.ErrAuthorizationQueryParametersError,
	sigv4.ErrUnsupportedAuthorization, sigv4.ErrInvalidToken, sigv4.ErrInvalidArgument,
	sigv4.ErrInvalidContentSHA256, sigv4.ErrMissingContentSHA256, sigv4.ErrContentSHA256Mismatch,
	sigv4.ErrBadDigest, sigv4.ErrInvalidDigest, sigv4.ErrChecksumMismatch, sigv4.ErrInvalidChecksum,
	sigv4.ErrIncompleteBody, sigv4.ErrDecodedLengthMismatch, sigv4.ErrMalformedChunk,
	sigv4.ErrChunkTooLarge, sigv4.ErrMalformedTrailer,
}

// sigv4Message returns the message of a sigv4 error without the context
// that wrapped it on the way out (a Backend's "reading body: "): the
// outermost error in the chain that is a sigv4 sentinel or sigv4's own
// detail on one ("<sentinel message>: <detail>"), e.g. "the checksum you
// specified did not match the calculated checksum: x-amz-checksum-crc32".
func sigv4Message(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		next := errors.Unwrap(e)
		for _, s := range sigv4Sentinels {
			if e == s || (next == s && strings.HasPrefix(e.Error(), s.Error())) { //nolint:errorlint // identity is the point
				return e.Error()
			}
		}
	}
	return err.Error()
}

// sentence capitalises a Go error string and ends it with a period, the
// way S3 messages read.
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
