package sigv4

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzParseAuthorization checks that the Authorization header parser never
// panics, that everything it accepts is well-formed, and that what it
// accepts survives being written back and parsed again.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
		"AWS4-HMAC-SHA256 Credential=AK/with/slash/20240101/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=" + emptySHA256,
		"AWS4-HMAC-SHA256 Signature=" + emptySHA256 + ", SignedHeaders=host;x-amz-date, Credential=AK/20240101/r/s3/aws4_request",
		"AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
		"AWS4-ECDSA-P256-SHA256 Credential=AK/20240101/s3/aws4_request",
		"AWS4-HMAC-SHA256",
		"AWS4-HMAC-SHA256 Credential=,SignedHeaders=,Signature=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		af, err := parseAuthorization(s)
		if err != nil {
			if !errors.Is(err, ErrAuthorizationHeaderMalformed) && !errors.Is(err, ErrUnsupportedAuthorization) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if !isLowerHex(af.signature, 64) || af.accessKeyID == "" || af.scope.service != serviceS3 ||
			!isCredentialDate(af.scope.date) || af.scope.region == "" || !contains(af.signedHeaders, "host") {
			t.Fatalf("accepted malformed fields: %+v", af)
		}
		again := fmt.Sprintf("%s Credential=%s/%s, SignedHeaders=%s, Signature=%s",
			algorithm, af.accessKeyID, af.scope, strings.Join(af.signedHeaders, ";"), af.signature)
		af2, err := parseAuthorization(again)
		if err != nil {
			t.Fatalf("re-parsing %q: %v", again, err)
		}
		if fmt.Sprint(af2) != fmt.Sprint(af) {
			t.Fatalf("round trip changed %+v to %+v", af, af2)
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var (
	fuzzScope = scope{"20240524", "us-east-1", "s3"}
	fuzzKey   = deriveSigningKey(testSK, fuzzScope)
)

const fuzzTimestamp = "20240524T120000Z"

// signChunks frames chunks as a signed aws-chunked body chained from seed,
// with optional trailer lines ("name:value").
func signChunks(seed string, chunks []string, trailers []string) []byte {
	s := newChainSigner(fuzzKey, fuzzTimestamp, fuzzScope, seed)
	var b bytes.Buffer
	for _, c := range append(chunks, "") {
		sum := sha256.Sum256([]byte(c))
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n%s", len(c), s.chunk(sum[:]), c)
		if c != "" {
			b.WriteString("\r\n")
		}
	}
	if trailers == nil {
		b.WriteString("\r\n")
		return b.Bytes()
	}
	var canon []byte
	for _, tr := range trailers {
		b.WriteString(tr + "\r\n")
		canon = append(canon, tr+"\n"...)
	}
	fmt.Fprintf(&b, "x-amz-trailer-signature:%s\r\n\r\n", s.trailer(canon))
	return b.Bytes()
}

// FuzzParseChunked feeds arbitrary bodies to the aws-chunked decoder in
// each mode. It must never panic, never return more data than the chunks
// declare, classify every failure under one of the package's sentinels,
// and produce the same outcome however the input is split across reads.
func FuzzParseChunked(f *testing.F) {
	const seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"), uint8(0))
	f.Add([]byte("3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n"), uint8(0))
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\n\r\n\r\n"), uint8(4))
	f.Add(signChunks(seed, []string{"hello", " world"}, nil), uint8(1))
	f.Add(signChunks(seed, []string{"hello"}, []string{"x-amz-checksum-crc32:NhCmhg=="}), uint8(2))
	f.Add(signChunks(seed, nil, []string{"x-amz-checksum-crc32:AAAAAA=="}), uint8(6))
	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		cfg := chunkedConfig{maxChunk: 1 << 10, decodedLength: -1}
		switch mode % 4 {
		case 0: // unsigned with trailers
			cfg.trailers = true
		case 1: // signed
			cfg.signer = newChainSigner(fuzzKey, fuzzTimestamp, fuzzScope, seed)
		case 2: // signed with trailers
			cfg.signer = newChainSigner(fuzzKey, fuzzTimestamp, fuzzScope, seed)
			cfg.trailers = true
		case 3: // unsigned with a declared length
			cfg.trailers = true
			cfg.decodedLength = 11
		}
		if mode&4 != 0 {
			cfg.declared = []string{"x-amz-checksum-crc32"}
		}
		decode := func(r io.Reader) ([]byte, error) {
			c := cfg
			if c.signer != nil {
				c.signer = newChainSigner(fuzzKey, fuzzTimestamp, fuzzScope, seed)
			}
			return io.ReadAll(newChunkedReader(r, c))
		}
		data, err := decode(bytes.NewReader(body))
		if len(data) > len(body) {
			t.Fatalf("decoded %d bytes from %d", len(data), len(body))
		}
		if err != nil {
			if _, status := S3Code(err); status != 400 && status != 403 {
				t.Fatalf("unclassified error: %v", err)
			}
		} else if cfg.decodedLength >= 0 && int64(len(data)) != cfg.decodedLength {
			t.Fatalf("accepted %d bytes, declared %d", len(data), cfg.decodedLength)
		}
		data1, err1 := decode(iotest.OneByteReader(bytes.NewReader(body)))
		code, _ := S3Code(err)
		code1, _ := S3Code(err1)
		if !bytes.Equal(data, data1) || (err == nil) != (err1 == nil) || code != code1 {
			t.Fatalf("split reads differ: %q %v vs %q %v", data, err, data1, err1)
		}
	})
}
