package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

const (
	algorithm        = "AWS4-HMAC-SHA256"
	algorithmPayload = "AWS4-HMAC-SHA256-PAYLOAD"
	algorithmTrailer = "AWS4-HMAC-SHA256-TRAILER"
	scopeTerminator  = "aws4_request"
	serviceS3        = "s3"

	// iso8601Basic is the X-Amz-Date layout.
	iso8601Basic = "20060102T150405Z"
	// yyyymmdd is the credential scope date layout.
	yyyymmdd = "20060102"

	// emptySHA256 is hex(SHA256("")).
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// scope is the credential scope "date/region/service/aws4_request".
type scope struct {
	date    string // yyyymmdd
	region  string
	service string
}

func (s scope) String() string {
	return s.date + "/" + s.region + "/" + s.service + "/" + scopeTerminator
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// deriveSigningKey computes
//
//	kDate    = HMAC("AWS4"+secret, date)
//	kRegion  = HMAC(kDate, region)
//	kService = HMAC(kRegion, service)
//	kSigning = HMAC(kService, "aws4_request")
func deriveSigningKey(secret string, s scope) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), s.date)
	k = hmacSHA256(k, s.region)
	k = hmacSHA256(k, s.service)
	return hmacSHA256(k, scopeTerminator)
}

// stringToSign builds the string to sign of a request (seed) signature.
func stringToSign(timestamp string, s scope, canonicalRequest string) string {
	return strings.Join([]string{
		algorithm,
		timestamp,
		s.String(),
		sha256Hex([]byte(canonicalRequest)),
	}, "\n")
}

// signHex returns hex(HMAC(key, stringToSign)).
func signHex(key []byte, sts string) string {
	return hex.EncodeToString(hmacSHA256(key, sts))
}

// signaturesEqual compares two hex signatures in constant time.
func signaturesEqual(a, b string) bool {
	return hmac.Equal([]byte(a), []byte(b))
}
