// Package s3api serves the S3 HTTP API over a storage Backend.
//
// A Server is an http.Handler. It authenticates every request with
// Signature Version 4 (package sigv4), works out which bucket, key and
// operation the request names, validates what it can without touching
// storage, and calls one Backend method. The Backend (the local object
// engine, or the raft-replicated store over it) decides everything that
// must be atomic with the data: write conditions, "bucket is empty",
// which snapshot a read sees.
//
//	s, err := s3api.New(s3api.Options{
//		Backend: store,
//		Auth:    sigv4.Config{Credentials: creds},
//		Logger:  logger,
//	})
//	srv := s.HTTPServer(":9000") // timeouts and header limits set
//	err = srv.ListenAndServe()
//
// # Routing
//
// Path style names the bucket in the first path segment, virtual-hosted
// style in the Host header, when the host is "<bucket>.<base>" for one of
// Options.BaseDomains:
//
//	PUT /photos/2024/cat.jpg             Host: s3.example.com
//	PUT /2024/cat.jpg                    Host: photos.s3.example.com
//	    bucket "photos", key "2024/cat.jpg" either way
//
// The key is the decoded rest of the path, kept exactly: "a//b/../c" is a
// key of its own (S3 does not normalise paths, and neither may anything in
// front of the Server). Keys are valid UTF-8 of at most 1024 bytes.
//
// The operation follows from the method, whether there is a bucket and a
// key, the subresource in the query, and x-amz-copy-source:
//
//	GET    /                         ListBuckets
//	PUT    /b                        CreateBucket
//	GET    /b?list-type=2            ListObjectsV2   (no subresource: ListObjects v1)
//	GET    /b?uploads                ListMultipartUploads
//	POST   /b?delete                 DeleteObjects
//	PUT    /b/k                      PutObject       (+ x-amz-copy-source: CopyObject)
//	POST   /b/k?uploads              CreateMultipartUpload
//	PUT    /b/k?partNumber&uploadId  UploadPart      (+ x-amz-copy-source: UploadPartCopy)
//	POST   /b/k?uploadId             CompleteMultipartUpload
//	DELETE /b/k?uploadId             AbortMultipartUpload
//	GET    /b/k?uploadId             ListParts
//
// and HEAD/DELETE/GET of buckets and objects as expected. Other query
// parameters (prefix, x-id, response-content-type, ...) never change the
// operation. Subresources with a fixed answer: GetBucketLocation,
// GetBucketVersioning (never enabled: an empty configuration),
// GetBucketAcl and GetObjectAcl (the owner has FULL_CONTROL),
// GetObjectTagging (an empty tag set). Every other
// S3 subresource (policy, tagging, versions, lifecycle, ...) is answered
// 501 NotImplemented, so that a request meant for it is never taken for
// the plain operation on the same path.
//
// # Request lifecycle
//
//	request ──► request id ──► header size ──► sigv4.Verify ──► route ──► handler ──► log, observe
//	                                                │                       │
//	                                           AccessDenied,           Backend call,
//	                                           SignatureDoesNotMatch   answer or *Error
//
// Every answer carries x-amz-request-id and x-amz-id-2. A handler returns
// an error instead of answering; the Server turns it into the S3 XML error
// document (Code, Message, Resource, RequestId) with AsError. HEAD errors
// and 304 carry no body. One slog record per request gives method,
// operation, bucket, key, status, bytes in and out, duration and request id.
// The same operation, status, byte counts and duration go to
// Options.Observer, if set, which is how metrics see requests (a request
// that fails before its operation is known counts as OpUnknown).
//
// # Authentication and body verification
//
// sigv4.Verify checks the signature over the method, path, query and
// signed headers before anything else happens; an unsigned request is
// AccessDenied. What it cannot check yet is the body: the signature (or
// x-amz-content-sha256, the chunk signatures of an aws-chunked body, its
// trailers, Content-MD5, x-amz-checksum-*) covers bytes that have not
// arrived. Verify therefore returns a verifying body, Result.Body, which
// the Server reads instead of r.Body. It streams the decoded bytes and
// returns io.EOF only after every check has passed; any failure, even one
// found after the last byte (a wrong trailing checksum), is returned as a
// read error instead.
//
// So the two compose through one rule: nothing is published until the
// body has read to io.EOF. Small bodies (XML) the Server reads whole
// before acting. Large ones it hands to the Backend, whose PutObject and
// UploadPart contract is to make the object visible only after the reader
// returned io.EOF with exactly the announced size:
//
//	client ──► net/http body ──► sigv4.Body (decode, hash, verify) ──► Backend.PutObject
//	                                   │                                   │
//	                               error at any point ─────────────► nothing visible
//	                               io.EOF = certified ─────────────► publish atomically
//
// A client that disconnects mid-upload, sends fewer bytes than its
// Content-Length or a body that fails its checksum thus leaves nothing
// behind, and the read error (IncompleteBody, BadDigest,
// SignatureDoesNotMatch) becomes the answer.
//
// # Conditional requests
//
// GET and HEAD preconditions (If-Match, If-None-Match, If-Modified-Since,
// If-Unmodified-Since) are decided by the Server against the snapshot the
// Backend opened, with S3's precedence: If-Match decides alone over
// If-Unmodified-Since, If-None-Match alone over If-Modified-Since, 412
// before 304, and both before the Range. Write conditions (If-Match,
// If-None-Match: * on PutObject, CopyObject and CompleteMultipartUpload)
// and copy-source conditions are passed to the Backend, which decides
// them atomically with the write; WriteConditions.Check and
// CopyConditions.Check implement the rules for it.
//
// # What is not implemented
//
// Versioning, object lock, tagging, ACLs beyond the fixed answer,
// policies, CORS, lifecycle, SSE, storage classes other than STANDARD,
// POST (browser form) uploads, and composite (multipart) checksums: part
// checksums are verified and echoed, not stored.
package s3api
