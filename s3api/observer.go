package s3api

import "time"

// OpUnknown is the operation name of a request that failed before its
// operation was known: an unauthenticated or unsigned request, one with
// too large headers, a bad bucket name, an unsupported subresource or
// method. The request log and Observer both use it.
const OpUnknown = "Unknown"

// Observer is told about every request the Server finishes, for metrics.
// Options.Observer is nil by default, which costs nothing.
//
// ObserveRequest is called once per request, after the response has been
// written (or abandoned) and the request logged, on the goroutine that
// served it; it must be safe for concurrent use and should be quick, as
// the connection waits for it. Its arguments:
//
//   - op: the S3 operation ("PutObject", "GetObject", ...; the names of
//     the request log and of the AWS API), or OpUnknown;
//   - status: the HTTP status sent (200 when the handler sent nothing);
//   - in: request body bytes read, after aws-chunked decoding (0 for a
//     request that was not authenticated, whose body is never read);
//   - out: response body bytes written;
//   - d: the time from the request's arrival at ServeHTTP until now.
type Observer interface {
	ObserveRequest(op string, status int, in, out int64, d time.Duration)
}
