// Package s3test is a conformance suite for s3api Backends: it serves an
// s3api.Server over the Backend and checks, with real S3 clients, that
// the whole stack answers as S3 does.
//
// A Backend package runs it from a test:
//
//	func TestS3Conformance(t *testing.T) {
//		s3test.Run(t, func(t *testing.T) s3api.Backend {
//			return openStore(t, t.TempDir())
//		})
//	}
//
// # What it drives
//
// One Server, on two loopback httptest servers:
//
//	aws-sdk-go-v2 ──TLS───► path style: aws-chunked uploads, CRC32 trailers ─┐
//	aws-sdk-go-v2 ──HTTP──► path and virtual-hosted style: signed payloads ──┤
//	minio-go      ──HTTP──► signed aws-chunked uploads, url-encoded listings ┼─► Server ─► Backend
//	raw requests  ──HTTP──► what clients will not send (bad bodies, cut-off  │
//	                        connections, huge lengths, odd subresources) ────┘
//
// # What it checks
//
// Buckets (create, names, not-empty, location, versioning, ACL), objects
// (sizes 0 to 3 MiB, metadata, response-* overrides, awkward keys, the
// default content type), every checksum algorithm over both transports,
// BadDigest leaving nothing behind (also when the mismatch is in the last
// trailer), copy (directives, self-copy, copy-source-if-*), conditional
// reads with S3's precedence rules, conditional writes including racing
// If-None-Match: * writers of which exactly one wins, ranges (416 with
// Content-Range, ignored multi-ranges, partNumber), snapshot reads not torn
// by an overwrite or delete, listings of a few thousand keys (v1 and v2,
// prefix, delimiter, pagination, start-after, encoding-type=url) against a
// naive model, multipart (3 x 5 MiB + tail, ETag format, ListParts, part
// reads, abort, every CompleteMultipartUpload error, UploadPartCopy,
// ListMultipartUploads), presigned URLs of both clients, authentication
// failures, limits (key length, metadata size, 5 GiB, missing length,
// header size), malformed XML, NotImplemented subresources, clients
// disconnecting mid-upload and bodies shorter than announced.
//
// The Backend is made once and shared by all tests; each uses its own
// buckets. The bulk of the listing keys is stored through the Backend
// directly. Under the race detector or -short, the listing uses fewer keys.
// Server logs are printed for failing runs only.
package s3test
