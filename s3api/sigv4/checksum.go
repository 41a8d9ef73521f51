package sigv4

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"net/http"
	"strings"
)

// ChecksumAlgorithm names an S3 additional checksum algorithm, spelled as in
// x-amz-checksum-algorithm and x-amz-sdk-checksum-algorithm.
type ChecksumAlgorithm string

// The checksum algorithms S3 supports.
const (
	ChecksumCRC32     ChecksumAlgorithm = "CRC32"
	ChecksumCRC32C    ChecksumAlgorithm = "CRC32C"
	ChecksumCRC64NVME ChecksumAlgorithm = "CRC64NVME"
	ChecksumSHA1      ChecksumAlgorithm = "SHA1"
	ChecksumSHA256    ChecksumAlgorithm = "SHA256"
)

// ChecksumAlgorithms lists every supported algorithm.
var ChecksumAlgorithms = []ChecksumAlgorithm{
	ChecksumCRC32, ChecksumCRC32C, ChecksumCRC64NVME, ChecksumSHA1, ChecksumSHA256,
}

// crc64NVMEPoly is the CRC-64/NVME polynomial 0xAD93D23594C93659 in the
// bit-reversed form hash/crc64 expects.
const crc64NVMEPoly = 0x9A6C9329AC4BC9B5

var (
	crc32cTable    = crc32.MakeTable(crc32.Castagnoli)
	crc64NVMETable = crc64.MakeTable(crc64NVMEPoly)
)

// HeaderName returns the lower-case header (or trailer) carrying a checksum
// of this algorithm, e.g. "x-amz-checksum-crc32".
func (a ChecksumAlgorithm) HeaderName() string {
	return "x-amz-checksum-" + strings.ToLower(string(a))
}

// Size returns the digest size in bytes, or 0 for an unknown algorithm.
func (a ChecksumAlgorithm) Size() int {
	switch a {
	case ChecksumCRC32, ChecksumCRC32C:
		return 4
	case ChecksumCRC64NVME:
		return 8
	case ChecksumSHA1:
		return sha1.Size
	case ChecksumSHA256:
		return sha256.Size
	}
	return 0
}

// New returns a hash computing the checksum; its Sum is the big-endian
// digest whose base64 S3 transmits. It returns nil for an unknown algorithm.
func (a ChecksumAlgorithm) New() hash.Hash {
	switch a {
	case ChecksumCRC32:
		return crc32.NewIEEE()
	case ChecksumCRC32C:
		return crc32.New(crc32cTable)
	case ChecksumCRC64NVME:
		return crc64.New(crc64NVMETable)
	case ChecksumSHA1:
		return sha1.New()
	case ChecksumSHA256:
		return sha256.New()
	}
	return nil
}

// checksumByHeader maps "x-amz-checksum-crc32" (any case) to its algorithm.
func checksumByHeader(name string) (ChecksumAlgorithm, bool) {
	for _, a := range ChecksumAlgorithms {
		if strings.EqualFold(name, a.HeaderName()) {
			return a, true
		}
	}
	return "", false
}

// Checksum is a verified additional checksum of the decoded body.
type Checksum struct {
	Algorithm ChecksumAlgorithm
	// Value is the base64 digest exactly as the client sent it.
	Value string
	// Trailer reports whether it arrived as an aws-chunked trailer rather
	// than as a request header.
	Trailer bool
}

// decodeChecksum decodes a base64 checksum value and checks its length.
func decodeChecksum(a ChecksumAlgorithm, v string) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(v)
	if err != nil || len(b) != a.Size() {
		return nil, fmt.Errorf("%w: value for %s is not the base64 of a %d-byte digest",
			ErrInvalidChecksum, a.HeaderName(), a.Size())
	}
	return b, nil
}

// checksumSpec is what the request promises about its additional checksum:
// an algorithm and either a header value or a promise of a trailer.
type checksumSpec struct {
	alg     ChecksumAlgorithm
	want    []byte // header value, decoded; nil when trailer
	value   string // header value as sent
	trailer bool
}

// requestChecksum inspects x-amz-checksum-* headers and x-amz-trailer.
// trailers lists the lower-case names declared in x-amz-trailer. At most
// one checksum may be supplied in total. It returns nil if there is none.
func requestChecksum(h http.Header, trailers []string) (*checksumSpec, error) {
	var spec *checksumSpec
	for _, a := range ChecksumAlgorithms {
		vals := h.Values(a.HeaderName())
		if len(vals) == 0 {
			continue
		}
		if spec != nil || len(vals) > 1 {
			return nil, fmt.Errorf("%w: expecting a single x-amz-checksum- header", ErrInvalidChecksum)
		}
		want, err := decodeChecksum(a, vals[0])
		if err != nil {
			return nil, err
		}
		spec = &checksumSpec{alg: a, want: want, value: vals[0]}
	}
	for _, t := range trailers {
		a, ok := checksumByHeader(t)
		if !ok {
			return nil, fmt.Errorf("%w: unsupported trailer %q in x-amz-trailer", ErrInvalidChecksum, t)
		}
		if spec != nil {
			return nil, fmt.Errorf("%w: expecting a single x-amz-checksum- header or trailer", ErrInvalidChecksum)
		}
		spec = &checksumSpec{alg: a, trailer: true}
	}
	return spec, nil
}

// declaredTrailers parses x-amz-trailer: a comma-separated list of header
// names, returned lower-cased.
func declaredTrailers(h http.Header) []string {
	var out []string
	for _, v := range h.Values("X-Amz-Trailer") {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				out = append(out, strings.ToLower(name))
			}
		}
	}
	return out
}
