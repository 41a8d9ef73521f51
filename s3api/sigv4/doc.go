// Package sigv4 verifies AWS Signature Version 4 (AWS4-HMAC-SHA256) on
// incoming S3 requests, and decodes and verifies their payloads.
//
// A server builds one Verifier and calls Verify for every request:
//
//	res, err := verifier.Verify(r, time.Now())
//	if err != nil {
//		code, status := sigv4.S3Code(err) // e.g. "SignatureDoesNotMatch", 403
//		...
//	}
//	// Read res.Body (not r.Body) to io.EOF before committing anything.
//
// # Where the signature lives
//
// Either in the Authorization header:
//
//	Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20130524/us-east-1/s3/aws4_request,
//	               SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=<64 hex>
//
// with the time in X-Amz-Date (or Date), or in the query string of a
// presigned URL: X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
// X-Amz-Expires (1 to 604800 seconds), X-Amz-SignedHeaders and
// X-Amz-Signature.
//
// # The canonical request
//
// Client and server each reduce the request to a canonical string and sign
// it; the signatures match only if both saw the same request:
//
//	PUT                                    method
//	/bucket/my%20key                       URI, see below
//	partNumber=1&uploadId=abc              query, see below
//	host:example.com                       signed headers: lower-case name ":"
//	x-amz-content-sha256:UNSIGNED-PAYLOAD  trimmed value, inner runs of spaces
//	x-amz-date:20130524T000000Z            collapsed, repeats joined by ","
//	                                       (the header block ends with "\n")
//	host;x-amz-content-sha256;x-amz-date   SignedHeaders (must include host)
//	UNSIGNED-PAYLOAD                       x-amz-content-sha256 value
//
// lines joined by "\n". The URI is the path as the client sent it: S3
// neither normalises it ("//", "." and ".." stay) nor encodes it twice.
// For clients whose wire encoding differs from what they signed, the
// strict encoding of the decoded path, where only A-Z a-z 0-9 - _ . ~ and
// "/" stay literal, is tried as well; both denote the same key. The query
// string is every parameter, decoded and re-encoded with that strict
// encoding ("+" decodes to a space), sorted by key and then value, as k=v
// joined by "&"; a presigned URL leaves out X-Amz-Signature.
//
// # Signing
//
//	StringToSign = "AWS4-HMAC-SHA256" \n X-Amz-Date \n
//	               date/region/s3/aws4_request \n hex(SHA256(CanonicalRequest))
//
//	kDate    = HMAC-SHA256("AWS4" + secret, date)
//	kRegion  = HMAC-SHA256(kDate, region)
//	kService = HMAC-SHA256(kRegion, "s3")
//	kSigning = HMAC-SHA256(kService, "aws4_request")
//
//	Signature = hex(HMAC-SHA256(kSigning, StringToSign))
//
// The signing key only depends on the secret and the scope, so the
// Verifier caches it. Signatures are compared in constant time.
//
// # Payloads
//
// x-amz-content-sha256 says how the body is covered:
//
//   - a hex SHA-256 of the body: checked when the body reaches EOF;
//   - UNSIGNED-PAYLOAD: not covered (presigned URLs default to this);
//   - STREAMING-AWS4-HMAC-SHA256-PAYLOAD: aws-chunked body, every chunk signed;
//   - STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: the same, then signed trailers;
//   - STREAMING-UNSIGNED-PAYLOAD-TRAILER: aws-chunked body, unsigned chunks,
//     then trailers (what aws-sdk-go-v2 sends for uploads over TLS).
//
// An aws-chunked body (Content-Encoding: aws-chunked, decoded size in
// x-amz-decoded-content-length) is framed like this:
//
//	signed                                   unsigned
//	+--------------------------------------+ +-------------------------------+
//	| 10000;chunk-signature=<sig 1>\r\n    | | 10000\r\n                     |
//	| <65536 bytes of data>\r\n            | | <65536 bytes of data>\r\n     |
//	| 400;chunk-signature=<sig 2>\r\n      | | 400\r\n                       |
//	| <1024 bytes of data>\r\n             | | <1024 bytes of data>\r\n      |
//	| 0;chunk-signature=<sig 3>\r\n        | | 0\r\n                         |
//	+--------------------------------------+ +-------------------------------+
//	| without trailers:  \r\n              | | x-amz-checksum-crc32:<b64>\r\n|
//	| with trailers:                       | | \r\n                          |
//	|   x-amz-checksum-crc32:<b64>\r\n     | +-------------------------------+
//	|   x-amz-trailer-signature:<sig 4>\r\n|
//	|   \r\n                               |
//	+--------------------------------------+
//
// Sizes are hex; the final chunk is empty; trailers must be the ones
// named in x-amz-trailer.
//
// # The signature chain
//
// The Authorization header's signature is the seed. Each chunk signature
// signs the previous signature together with the chunk's data, so chunks
// cannot be dropped, reordered or spliced in from another request, and the
// trailer signature closes the chain:
//
//	seed ──► sig 1 ──► sig 2 ──► sig 3 (empty final chunk) ──► sig 4 (trailers)
//
//	sig n = hex(HMAC(kSigning, "AWS4-HMAC-SHA256-PAYLOAD" \n X-Amz-Date \n scope \n
//	                 sig n-1 \n hex(SHA256("")) \n hex(SHA256(chunk n data))))
//
//	sig trailer = hex(HMAC(kSigning, "AWS4-HMAC-SHA256-TRAILER" \n X-Amz-Date \n scope \n
//	                       sig of final chunk \n hex(SHA256("x-amz-checksum-crc32:<b64>\n"))))
//
// Body decodes the framing while streaming, with memory bounded by a small
// line buffer whatever the chunk size. It returns io.EOF only after every
// chunk signature, the trailer signature, the decoded length, Content-MD5
// and the x-amz-checksum-* value (CRC32, CRC32C, CRC64NVME, SHA1 or SHA256,
// as a header or a trailer) have been verified; Body.Checksum then reports
// the verified checksum for the server to store.
//
// Errors wrap the sentinels in errors.go; S3Code maps them to S3 error codes
// and HTTP statuses.
package sigv4
