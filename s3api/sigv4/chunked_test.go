package sigv4

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// Framing rules of the aws-chunked decoder, exercised directly on unsigned
// bodies so that no signature check masks a framing error.

func decodeUnsigned(body string, declared []string, decodedLength int64, maxChunk int64) ([]byte, *chunkedReader, error) {
	c := newChunkedReader(iotest.OneByteReader(strings.NewReader(body)), chunkedConfig{
		trailers:      true,
		declared:      declared,
		maxChunk:      maxChunk,
		decodedLength: decodedLength,
	})
	data, err := io.ReadAll(c)
	return data, c, err
}

func TestChunkedFraming(t *testing.T) {
	crc := []string{"x-amz-checksum-crc32"}
	cases := []struct {
		name     string
		body     string
		declared []string
		length   int64
		want     error
		data     string
	}{
		{name: "aws-sdk-go-v2 layout", body: "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n", declared: crc, length: 5, data: "hello"},
		{name: "minio-go layout", body: "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\n\r\n\r\n", declared: crc, length: -1, data: "hello"},
		{name: "several chunks", body: "3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n", length: 5, data: "hello"},
		{name: "upper-case hex", body: "A\r\n0123456789\r\n0\r\n\r\n", length: 10, data: "0123456789"},
		{name: "empty body", body: "0\r\n\r\n", length: 0},
		{name: "trailer name case and spaces", body: "0\r\nX-Amz-Checksum-CRC32 :  AAAAAA==  \r\n\r\n", declared: crc, length: -1},

		{name: "no final chunk", body: "5\r\nhello\r\n", length: -1, want: ErrIncompleteBody},
		{name: "no terminator", body: "5\r\nhello\r\n0\r\n", length: -1, want: ErrIncompleteBody},
		{name: "truncated data", body: "5\r\nhel", length: -1, want: ErrIncompleteBody},
		{name: "truncated size", body: "5", length: -1, want: ErrIncompleteBody},
		{name: "nothing", body: "", length: -1, want: ErrIncompleteBody},
		{name: "data longer than size", body: "4\r\nhello\r\n0\r\n\r\n", length: -1, want: ErrMalformedChunk},
		{name: "data shorter than size", body: "6\r\nhello\r\n0\r\n\r\n", length: -1, want: ErrMalformedChunk},
		{name: "LF after size", body: "5\nhello\r\n0\r\n\r\n", length: -1, want: ErrMalformedChunk},
		{name: "LF after data", body: "5\r\nhello\n0\r\n\r\n", length: -1, want: ErrMalformedChunk},
		{name: "bad hex", body: "5g\r\nhello\r\n0\r\n\r\n", length: -1, want: ErrMalformedChunk},
		{name: "signed size", body: "+5\r\nhello\r\n0\r\n\r\n", length: -1, want: ErrMalformedChunk},
		{name: "space in size", body: " 5\r\nhello\r\n0\r\n\r\n", length: -1, want: ErrMalformedChunk},
		{name: "empty size", body: "\r\nhello\r\n0\r\n\r\n", length: -1, want: ErrMalformedChunk},
		{name: "extension on unsigned chunk", body: "5;x=y\r\nhello\r\n0\r\n\r\n", length: -1, want: ErrMalformedChunk},
		{name: "17 hex digits", body: "00000000000000005\r\nhello\r\n0\r\n\r\n", length: -1, want: ErrMalformedChunk},
		{name: "huge size", body: "ffffffffffffffff\r\nhello\r\n0\r\n\r\n", length: -1, want: ErrMalformedChunk},
		{name: "above the limit", body: "11\r\n0123456789abcdefg\r\n0\r\n\r\n", length: -1, want: ErrChunkTooLarge},
		{name: "header line too long", body: strings.Repeat("0", 5000) + "5\r\nhello\r\n0\r\n\r\n", length: -1, want: ErrMalformedChunk},
		{name: "more than declared length", body: "5\r\nhello\r\n0\r\n\r\n", length: 4, want: ErrDecodedLengthMismatch},
		{name: "less than declared length", body: "5\r\nhello\r\n0\r\n\r\n", length: 6, want: ErrDecodedLengthMismatch},

		{name: "declared trailer missing", body: "0\r\n\r\n", declared: crc, length: -1, want: ErrMalformedTrailer},
		{name: "undeclared trailer", body: "0\r\nx-amz-checksum-sha1:AAAA\r\n\r\n", length: -1, want: ErrMalformedTrailer},
		{name: "repeated trailer", body: "0\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", declared: crc, length: -1, want: ErrMalformedTrailer},
		{name: "trailer without colon", body: "0\r\nx-amz-checksum-crc32\r\n\r\n", declared: crc, length: -1, want: ErrMalformedTrailer},
		{name: "trailer after end", body: "0\r\n\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", declared: crc, length: -1, want: ErrMalformedTrailer},
		{name: "signature in unsigned body", body: "0\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-trailer-signature:" + emptySHA256 + "\r\n\r\n", declared: crc, length: -1, want: ErrMalformedTrailer},
		{name: "trailer not terminated", body: "0\r\nx-amz-checksum-crc32:AAAAAA==\r\n", declared: crc, length: -1, want: ErrIncompleteBody},
		{name: "partial trailer line", body: "0\r\nx-amz-checksum-crc32:AAAA", declared: crc, length: -1, want: ErrIncompleteBody},
		{name: "trailer section too long", body: "0\r\n" + strings.Repeat("\r\n", maxTrailerBytes), length: -1, want: ErrMalformedTrailer},
		{name: "trailer line too long", body: "0\r\nx-amz-checksum-crc32:" + strings.Repeat("A", 5000) + "\r\n\r\n", declared: crc, length: -1, want: ErrMalformedTrailer},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, _, err := decodeUnsigned(c.body, c.declared, c.length, 16)
			if c.want == nil {
				if err != nil || string(data) != c.data {
					t.Fatalf("got %q, %v; want %q", data, err, c.data)
				}
				return
			}
			wantErr(t, err, c.want)
		})
	}
}

func TestChunkedTrailerValues(t *testing.T) {
	_, c, err := decodeUnsigned("0\r\nX-Amz-Checksum-CRC32 :  AAAAAA==  \r\n\r\n", []string{"x-amz-checksum-crc32"}, -1, 16)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := c.trailer("x-amz-checksum-crc32"); !ok || v != "AAAAAA==" {
		t.Errorf("trailer = %q %v", v, ok)
	}
}

// Errors are sticky: a reader that failed keeps failing.
func TestChunkedErrorsAreSticky(t *testing.T) {
	c := newChunkedReader(strings.NewReader("zz\r\n"), chunkedConfig{maxChunk: 16, decodedLength: -1})
	_, err1 := c.Read(make([]byte, 10))
	_, err2 := c.Read(make([]byte, 10))
	if err1 == nil || err1 != err2 {
		t.Errorf("errors %v, %v", err1, err2)
	}
}

// A large chunk streams through with a small, constant amount of memory.
func TestChunkedLargeChunkStreams(t *testing.T) {
	const size = 64 << 20
	body := io.MultiReader(
		strings.NewReader("4000000\r\n"),
		io.LimitReader(zeros{}, size),
		strings.NewReader("\r\n0\r\n\r\n"),
	)
	c := newChunkedReader(body, chunkedConfig{trailers: true, maxChunk: DefaultMaxUnsignedChunkSize, decodedLength: size})
	n, err := io.CopyBuffer(io.Discard, c, make([]byte, 32<<10))
	if err != nil || n != size {
		t.Fatalf("copied %d, %v", n, err)
	}
	if c.br.Size() != chunkBufferSize {
		t.Errorf("buffer grew to %d", c.br.Size())
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
