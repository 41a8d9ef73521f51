package sigv4

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// PayloadMode is how the request body is authenticated, as announced by
// x-amz-content-sha256 (or X-Amz-Content-Sha256 in a presigned URL).
type PayloadMode int

// The payload modes.
const (
	// PayloadSHA256: the header holds hex(SHA256(body)); the body is
	// verified against it at EOF.
	PayloadSHA256 PayloadMode = iota + 1
	// PayloadUnsigned: UNSIGNED-PAYLOAD; the body is not covered by the
	// signature (checksums and Content-MD5 still apply).
	PayloadUnsigned
	// PayloadStreamingSigned: STREAMING-AWS4-HMAC-SHA256-PAYLOAD; an
	// aws-chunked body whose every chunk is signed.
	PayloadStreamingSigned
	// PayloadStreamingSignedTrailer:
	// STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER; signed chunks followed by
	// signed trailing headers.
	PayloadStreamingSignedTrailer
	// PayloadStreamingUnsignedTrailer: STREAMING-UNSIGNED-PAYLOAD-TRAILER;
	// unsigned chunks followed by unsigned trailing headers.
	PayloadStreamingUnsignedTrailer
)

const (
	unsignedPayload                 = "UNSIGNED-PAYLOAD"
	streamingSignedPayload          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedPayloadTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// String returns the keyword naming the mode on the wire ("SHA256" for a
// hex digest).
func (m PayloadMode) String() string {
	switch m {
	case PayloadSHA256:
		return "SHA256"
	case PayloadUnsigned:
		return unsignedPayload
	case PayloadStreamingSigned:
		return streamingSignedPayload
	case PayloadStreamingSignedTrailer:
		return streamingSignedPayloadTrailer
	case PayloadStreamingUnsignedTrailer:
		return streamingUnsignedPayloadTrailer
	}
	return fmt.Sprintf("PayloadMode(%d)", int(m))
}

// Chunked reports whether the body is aws-chunked encoded.
func (m PayloadMode) Chunked() bool {
	return m == PayloadStreamingSigned || m == PayloadStreamingSignedTrailer || m == PayloadStreamingUnsignedTrailer
}

// Trailers reports whether the body ends with trailing headers.
func (m PayloadMode) Trailers() bool {
	return m == PayloadStreamingSignedTrailer || m == PayloadStreamingUnsignedTrailer
}

// parsePayloadHash classifies an x-amz-content-sha256 value. For
// PayloadSHA256 it also returns the decoded digest.
func parsePayloadHash(v string) (PayloadMode, []byte, error) {
	switch v {
	case unsignedPayload:
		return PayloadUnsigned, nil, nil
	case streamingSignedPayload:
		return PayloadStreamingSigned, nil, nil
	case streamingSignedPayloadTrailer:
		return PayloadStreamingSignedTrailer, nil, nil
	case streamingUnsignedPayloadTrailer:
		return PayloadStreamingUnsignedTrailer, nil, nil
	}
	if len(v) == 64 {
		if sum, err := hex.DecodeString(v); err == nil {
			return PayloadSHA256, sum, nil
		}
	}
	if strings.HasPrefix(v, "STREAMING-") {
		return 0, nil, fmt.Errorf("%w: unsupported payload signing %q", ErrInvalidContentSHA256, v)
	}
	return 0, nil, fmt.Errorf("%w: must be a hex SHA-256 or a payload keyword", ErrInvalidContentSHA256)
}
