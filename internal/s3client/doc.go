// Package s3client is a small S3 client for mapstore's own tools: the
// load generator (mapstore bench) and tests that want to drive a server
// with plain HTTP requests rather than through a full SDK.
//
// It does six things, over net/http and nothing else:
//
//	CreateBucket   PUT    /bucket
//	PutObject      PUT    /bucket/key          body streamed, never buffered
//	GetObject      GET    /bucket/key          body handed to the caller
//	HeadObject     HEAD   /bucket/key
//	DeleteObject   DELETE /bucket/key
//	ListObjects    GET    /bucket?list-type=2  one page of ListObjectsV2
//
// with path-style URLs (the bucket is the first path segment, so any
// endpoint works without DNS for bucket names).
//
// # Signing
//
// Every request is signed with Signature Version 4 by the AWS SDK's
// signer (aws-sdk-go-v2/aws/signer/v4), over the method, the path in its
// strict SigV4 encoding (unreserved bytes and "/" literal, everything else
// %XX, put on the wire exactly as signed), the canonical query and every
// header the request carries. The body is not hashed: requests say
//
//	x-amz-content-sha256: UNSIGNED-PAYLOAD
//
// so a 1 GiB PutObject is streamed from its io.Reader straight to the
// connection, never held in memory nor read twice. Content-Length is
// signed, so the server still refuses a body shorter or longer than
// announced; what it cannot detect is a body altered in flight, which is
// what TLS (an https endpoint) is for.
//
// # Cost per request
//
// A Client is safe for concurrent use and meant to be shared: create one
// per endpoint and call it from as many goroutines as there are clients
// to simulate. Its default transport keeps up to MaxIdleConnsPerHost
// idle connections per host (enough for 256 concurrent callers and
// more), so that a steady load reuses its connections instead of opening
// one per request; it asks for no compression (bodies arrive as stored)
// and uses no proxy. A request allocates its headers, its signature and
// the response, never a copy of the body.
//
// # Errors
//
// A response outside 2xx becomes a *ResponseError with the status and
// the Code, Message and RequestId of the S3 XML error document (HEAD
// answers carry no body: their Code is derived from the status). It is
// wrapped with the operation, bucket and key, so errors.As finds it:
//
//	_, err := c.PutObject(ctx, "photos", "cat.jpg", r, n, http.Header{"If-None-Match": {"*"}})
//	var rerr *s3client.ResponseError
//	switch {
//	case s3client.IsPreconditionFailed(err): // the key exists already
//	case errors.As(err, &rerr):             // rerr.StatusCode, rerr.Code
//	case err != nil:                        // no answer: network, context
//	}
//
// Transport failures (connection refused, context canceled, a body cut
// short) are returned wrapped, as they come from net/http.
package s3client
