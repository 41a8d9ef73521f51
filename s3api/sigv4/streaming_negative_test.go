package sigv4

import (
	"bytes"
	"net/http"
	"testing"
	"time"
)

// Tampering with aws-chunked bodies produced by minio-go.

func flipHex(b []byte, i int) {
	if b[i] == '0' {
		b[i] = '1'
	} else {
		b[i] = '0'
	}
}

func TestStreamingSignedTamper(t *testing.T) {
	data := pattern(150000) // chunks of 65536, 65536, 18928 and 0 bytes
	at := time.Now().UTC().Truncate(time.Second)
	_, enc := minioStreaming(t, data, "", at)
	firstSig := bytes.Index(enc, []byte("chunk-signature=")) + len("chunk-signature=")
	firstData := bytes.Index(enc, []byte("\r\n")) + 2
	final := bytes.LastIndex(enc, []byte("0;chunk-signature="))

	cases := map[string]struct {
		mutate func([]byte) []byte
		want   error
	}{
		"chunk data":      {func(b []byte) []byte { b[firstData+10]++; return b }, ErrChunkSignatureMismatch},
		"last chunk data": {func(b []byte) []byte { b[final-3]++; return b }, ErrChunkSignatureMismatch},
		"chunk signature": {func(b []byte) []byte { flipHex(b, firstSig+5); return b }, ErrChunkSignatureMismatch},
		"final signature": {func(b []byte) []byte { flipHex(b, final+20); return b }, ErrChunkSignatureMismatch},
		"upper-case signature": {func(b []byte) []byte {
			copy(b[firstSig:], bytes.ToUpper(b[firstSig:firstSig+64]))
			return b
		}, ErrMalformedChunk},
		"chunk larger than declared":  {func(b []byte) []byte { return append([]byte("fff0"), b[5:]...) }, ErrMalformedChunk},
		"chunk smaller than declared": {func(b []byte) []byte { return append([]byte("10010"), b[5:]...) }, ErrMalformedChunk},
		"truncated in data":           {func(b []byte) []byte { return b[:firstData+1000] }, ErrIncompleteBody},
		"truncated in header":         {func(b []byte) []byte { return b[:firstSig+10] }, ErrIncompleteBody},
		"truncated before CRLF":       {func(b []byte) []byte { return b[:firstData+65536] }, ErrIncompleteBody},
		"missing final chunk":         {func(b []byte) []byte { return b[:final] }, ErrIncompleteBody},
		"missing final CRLF":          {func(b []byte) []byte { return b[:len(b)-2] }, ErrIncompleteBody},
		"empty body":                  {func(b []byte) []byte { return nil }, ErrIncompleteBody},
		"data after the end":          {func(b []byte) []byte { return append(b, 'x') }, ErrMalformedChunk},
		"extra chunk after the end":   {func(b []byte) []byte { return append(b, b[:firstData+100]...) }, ErrMalformedChunk},
		"LF instead of CRLF":          {func(b []byte) []byte { return append(append(b[:firstData-2:firstData-2], '\n'), b[firstData:]...) }, ErrMalformedChunk},
		"chunks dropped": {func(b []byte) []byte {
			second := bytes.Index(b[firstData:], []byte(";chunk-signature=")) + firstData - 5
			return append(b[:0:0], b[second:]...)
		}, ErrChunkSignatureMismatch},
	}
	v := newTestVerifier(t)
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r, _ := minioStreaming(t, data, "", at)
			withBody(r, c.mutate(bytes.Clone(enc)))
			wantErr(t, verifyErr(t, v, r, at), c.want)
		})
	}

	t.Run("chunks of another request", func(t *testing.T) {
		r, _ := minioStreaming(t, data, "", at)
		_, other := minioStreaming(t, data, "", at.Add(time.Second))
		withBody(r, other)
		wantErr(t, verifyErr(t, v, r, at), ErrChunkSignatureMismatch)
	})
	t.Run("decoded length header", func(t *testing.T) {
		r, _ := minioStreaming(t, data, "", at)
		r.Header.Set("X-Amz-Decoded-Content-Length", "149999")
		wantErr(t, verifyErr(t, v, r, at), ErrSignatureDoesNotMatch)
	})
	t.Run("chunk above the limit", func(t *testing.T) {
		small := newTestVerifier(t, func(c *Config) { c.MaxSignedChunkSize = 64<<10 - 1 })
		r, _ := minioStreaming(t, data, "", at)
		wantErr(t, verifyErr(t, small, r, at), ErrChunkTooLarge)
	})
	t.Run("skewed clock", func(t *testing.T) {
		r, _ := minioStreaming(t, data, "", at)
		_, err := v.Verify(r, at.Add(16*time.Minute))
		wantErr(t, err, ErrRequestTimeTooSkewed)
	})
}

func TestStreamingSignedTrailerTamper(t *testing.T) {
	data := pattern(70000)
	at := time.Now().UTC().Truncate(time.Second)
	_, enc := minioStreaming(t, data, ChecksumCRC32C, at)
	value := checksumOf(ChecksumCRC32C, data)
	trailer := bytes.Index(enc, []byte("x-amz-checksum-crc32c:"))
	sigLine := bytes.Index(enc, []byte("x-amz-trailer-signature:"))
	if trailer < 0 || sigLine < 0 {
		t.Fatalf("unexpected encoding:\n%q", enc[len(enc)-200:])
	}

	cases := map[string]struct {
		mutate func([]byte) []byte
		want   error
	}{
		"trailer value": {func(b []byte) []byte {
			return bytes.Replace(b, []byte(value), []byte(checksumOf(ChecksumCRC32C, []byte("x"))), 1)
		}, ErrTrailerSignatureMismatch},
		"trailer signature": {func(b []byte) []byte { flipHex(b, sigLine+30); return b }, ErrTrailerSignatureMismatch},
		"trailer removed":   {func(b []byte) []byte { return append(b[:trailer:trailer], b[sigLine:]...) }, ErrMalformedTrailer},
		"signature removed": {func(b []byte) []byte { return append(b[:sigLine:sigLine], "\r\n"...) }, ErrMalformedTrailer},
		"undeclared trailer": {func(b []byte) []byte {
			return append(b[:trailer:trailer], append([]byte("x-amz-meta-a:b\n"), b[trailer:]...)...)
		}, ErrMalformedTrailer},
		"repeated trailer": {func(b []byte) []byte {
			line := b[trailer : bytes.IndexByte(b[trailer:], '\n')+trailer+1]
			return append(b[:trailer:trailer], append(bytes.Clone(line), b[trailer:]...)...)
		}, ErrMalformedTrailer},
		"truncated trailer":  {func(b []byte) []byte { return b[:trailer+5] }, ErrIncompleteBody},
		"no terminator":      {func(b []byte) []byte { return b[:len(b)-2] }, ErrIncompleteBody},
		"data after the end": {func(b []byte) []byte { return append(b, "x-amz-meta-late:1\r\n\r\n"...) }, ErrMalformedTrailer},
	}
	v := newTestVerifier(t)
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r, _ := minioStreaming(t, data, ChecksumCRC32C, at)
			withBody(r, c.mutate(bytes.Clone(enc)))
			wantErr(t, verifyErr(t, v, r, at), c.want)
		})
	}

	t.Run("wrong checksum, correctly signed", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPut, "http://minio.example.com/bucket/o", bytes.NewReader(data))
		req.ContentLength = int64(len(data))
		req.Trailer = http.Header{}
		req.Trailer.Set("x-amz-checksum-sha256", checksumOf(ChecksumSHA256, data[1:]))
		req = signerStreaming(req, int64(len(data)), at)
		wantErr(t, verifyErr(t, v, wire(t, req), at), ErrChecksumMismatch)
	})
}

func TestStreamingUnsignedTrailerTamper(t *testing.T) {
	data := pattern(100000)
	_, enc := minioUnsignedTrailer(t, data, ChecksumCRC64NVME)
	value := checksumOf(ChecksumCRC64NVME, data)
	trailer := bytes.Index(enc, []byte("x-amz-checksum-crc64nvme:"))
	if trailer < 0 {
		t.Fatalf("unexpected encoding:\n%q", enc[len(enc)-100:])
	}
	cases := map[string]struct {
		mutate func([]byte) []byte
		want   error
	}{
		"data": {func(b []byte) []byte { b[50]++; return b }, ErrChecksumMismatch},
		"checksum": {func(b []byte) []byte {
			return bytes.Replace(b, []byte(value), []byte(checksumOf(ChecksumCRC64NVME, data[1:])), 1)
		}, ErrChecksumMismatch},
		"checksum not base64": {func(b []byte) []byte { return bytes.Replace(b, []byte(value), []byte("!!!!"), 1) }, ErrInvalidChecksum},
		"checksum wrong size": {func(b []byte) []byte { return bytes.Replace(b, []byte(value), []byte("AAAAAA=="), 1) }, ErrInvalidChecksum},
		"trailer missing":     {func(b []byte) []byte { return append(b[:trailer:trailer], "\r\n"...) }, ErrMalformedTrailer},
		"trailer signature sent": {func(b []byte) []byte {
			return append(b[:trailer:trailer], "x-amz-trailer-signature:"+emptySHA256+"\r\n\r\n"...)
		}, ErrMalformedTrailer},
		"chunk signature sent": {func(b []byte) []byte {
			return bytes.Replace(b, []byte("\r\n"), []byte(";chunk-signature="+emptySHA256+"\r\n"), 1)
		}, ErrMalformedChunk},
		"truncated":      {func(b []byte) []byte { return b[:len(b)/2] }, ErrIncompleteBody},
		"no final chunk": {func(b []byte) []byte { return b[:bytes.LastIndex(b, []byte("\r\n0\r\n"))+2] }, ErrIncompleteBody},
	}
	v := newTestVerifier(t)
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r, _ := minioUnsignedTrailer(t, data, ChecksumCRC64NVME)
			withBody(r, c.mutate(bytes.Clone(enc)))
			wantErr(t, verifyErr(t, v, r, time.Now()), c.want)
		})
	}
}
