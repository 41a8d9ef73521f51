package sigv4

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
)

const (
	// chunkBufferSize bounds a chunk header or trailer line.
	chunkBufferSize = 4096
	// maxTrailerBytes bounds the whole trailer section.
	maxTrailerBytes = 16 << 10
	// maxChunkSizeDigits is the longest hex chunk size accepted.
	maxChunkSizeDigits = 16

	chunkSignaturePrefix = ";chunk-signature="
	trailerSignatureName = "x-amz-trailer-signature"
)

// chunkedConfig configures a chunkedReader.
type chunkedConfig struct {
	// signer verifies chunk and trailer signatures; nil for unsigned chunks
	// (STREAMING-UNSIGNED-PAYLOAD-TRAILER).
	signer *chainSigner
	// trailers enables the trailer section after the final chunk.
	trailers bool
	// declared lists the lower-case trailer names announced in x-amz-trailer;
	// each must arrive, and no other may.
	declared []string
	// maxChunk is the largest chunk size accepted.
	maxChunk int64
	// decodedLength is x-amz-decoded-content-length, or -1 if absent.
	decodedLength int64
}

type chunkState int

const (
	stChunkHeader chunkState = iota // expecting "size[;chunk-signature=sig]\r\n"
	stChunkData                     // inside chunk data
	stChunkEnd                      // expecting "\r\n" after chunk data
	stFinalCRLF                     // after the final chunk of a body without trailers
	stTrailers                      // reading the trailer section
	stDone                          // everything verified
)

// chunkedReader decodes an aws-chunked body, verifying its framing, chunk
// signatures, trailer signature and decoded length as it streams. Memory is
// bounded by its line buffer regardless of chunk size.
//
// Chunk data is handed to the caller as it arrives; a chunk's signature is
// checked when the chunk ends. Only an io.EOF from Read certifies the body:
// any other error means the whole body must be discarded.
type chunkedReader struct {
	br  *bufio.Reader
	cfg chunkedConfig

	state     chunkState
	remaining int64  // data bytes left in the current chunk
	chunkSig  string // signature from the current chunk header
	chunks    int    // chunks read, including the final one
	total     int64  // decoded bytes so far
	dataHash  hash.Hash
	trailerKV map[string]string
	err       error
}

func newChunkedReader(src io.Reader, cfg chunkedConfig) *chunkedReader {
	c := &chunkedReader{br: bufio.NewReaderSize(src, chunkBufferSize), cfg: cfg}
	if cfg.signer != nil {
		c.dataHash = sha256.New()
	}
	return c
}

// trailer returns the value of a verified trailer; valid once Read has
// returned io.EOF.
func (c *chunkedReader) trailer(name string) (string, bool) {
	v, ok := c.trailerKV[name]
	return v, ok
}

// Read implements io.Reader over the decoded data.
func (c *chunkedReader) Read(p []byte) (int, error) {
	for c.err == nil {
		switch c.state {
		case stChunkHeader:
			c.err = c.readChunkHeader()
		case stChunkData:
			if len(p) == 0 {
				return 0, nil
			}
			return c.readData(p)
		case stChunkEnd:
			c.err = c.readChunkEnd()
		case stFinalCRLF:
			c.err = c.readFinalCRLF()
		case stTrailers:
			c.err = c.readTrailers()
		case stDone:
			c.err = io.EOF
		}
	}
	return 0, c.err
}

// readLine returns the next line including its "\n". A line longer than
// the buffer is a framing error; EOF inside a line is a truncated body.
func (c *chunkedReader) readLine(kind error) ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	switch {
	case err == nil:
		return line, nil
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, fmt.Errorf("%w: line longer than %d bytes", kind, chunkBufferSize)
	default:
		return nil, readError(err)
	}
}

// readError converts a failure of the underlying body: a premature end is
// ErrIncompleteBody, anything else passes through.
func readError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: body ended early", ErrIncompleteBody)
	}
	return fmt.Errorf("reading request body: %w", err)
}

func (c *chunkedReader) readChunkHeader() error {
	line, err := c.readLine(ErrMalformedChunk)
	if err != nil {
		return err
	}
	hdr, ok := bytes.CutSuffix(line, []byte("\r\n"))
	if !ok {
		return fmt.Errorf("%w: chunk header not terminated by CRLF", ErrMalformedChunk)
	}
	sizeHex := hdr
	if c.cfg.signer != nil {
		var sig []byte
		sizeHex, sig, ok = bytes.Cut(hdr, []byte(chunkSignaturePrefix))
		if !ok || !isLowerHex(string(sig), 64) {
			return fmt.Errorf("%w: chunk %d: expected \"<hex-size>;chunk-signature=<64 hex>\"", ErrMalformedChunk, c.chunks)
		}
		c.chunkSig = string(sig)
	}
	size, err := parseChunkSize(sizeHex)
	if err != nil {
		return fmt.Errorf("%w: chunk %d: %v", ErrMalformedChunk, c.chunks, err)
	}
	if size > c.cfg.maxChunk {
		return fmt.Errorf("%w: chunk %d declares %d bytes, limit %d", ErrChunkTooLarge, c.chunks, size, c.cfg.maxChunk)
	}
	if c.cfg.decodedLength >= 0 && size > c.cfg.decodedLength-c.total {
		return fmt.Errorf("%w: chunks exceed the declared %d bytes", ErrDecodedLengthMismatch, c.cfg.decodedLength)
	}
	c.chunks++
	if size > 0 {
		c.remaining = size
		c.state = stChunkData
		if c.dataHash != nil {
			c.dataHash.Reset()
		}
		return nil
	}

	// The final, empty chunk.
	if c.cfg.decodedLength >= 0 && c.total != c.cfg.decodedLength {
		return fmt.Errorf("%w: got %d of %d bytes", ErrDecodedLengthMismatch, c.total, c.cfg.decodedLength)
	}
	if c.cfg.signer != nil {
		if err := c.checkChunkSignature(sha256.New().Sum(nil)); err != nil {
			return err
		}
	}
	if c.cfg.trailers {
		c.state = stTrailers
	} else {
		c.state = stFinalCRLF
	}
	return nil
}

// parseChunkSize parses 1 to 16 hex digits.
func parseChunkSize(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > maxChunkSizeDigits {
		return 0, fmt.Errorf("invalid chunk size %q", b)
	}
	for _, ch := range b {
		if _, ok := unhex(ch); !ok {
			return 0, fmt.Errorf("invalid chunk size %q", b)
		}
	}
	n, err := strconv.ParseUint(string(b), 16, 64)
	if err != nil || n > 1<<62 {
		return 0, fmt.Errorf("invalid chunk size %q", b)
	}
	return int64(n), nil
}

func (c *chunkedReader) readData(p []byte) (int, error) {
	if int64(len(p)) > c.remaining {
		p = p[:c.remaining]
	}
	n, err := c.br.Read(p)
	if n > 0 {
		if c.dataHash != nil {
			c.dataHash.Write(p[:n])
		}
		c.remaining -= int64(n)
		c.total += int64(n)
		if c.remaining == 0 {
			c.state = stChunkEnd
		}
		return n, nil
	}
	if err == nil {
		return 0, nil
	}
	c.err = readError(err)
	return 0, c.err
}

func (c *chunkedReader) readChunkEnd() error {
	var crlf [2]byte
	if _, err := io.ReadFull(c.br, crlf[:]); err != nil {
		return readError(err)
	}
	if crlf != [2]byte{'\r', '\n'} {
		return fmt.Errorf("%w: chunk %d: data longer than declared size or not followed by CRLF", ErrMalformedChunk, c.chunks-1)
	}
	if c.cfg.signer != nil {
		if err := c.checkChunkSignature(c.dataHash.Sum(nil)); err != nil {
			return err
		}
	}
	c.state = stChunkHeader
	return nil
}

func (c *chunkedReader) checkChunkSignature(dataSum []byte) error {
	want := c.cfg.signer.chunk(dataSum)
	if !signaturesEqual(want, c.chunkSig) {
		return fmt.Errorf("%w: chunk %d", ErrChunkSignatureMismatch, c.chunks-1)
	}
	return nil
}

// readFinalCRLF consumes the CRLF closing a body without trailers and
// requires the body to end there.
func (c *chunkedReader) readFinalCRLF() error {
	line, err := c.readLine(ErrMalformedChunk)
	if err != nil {
		return err
	}
	if string(line) != "\r\n" {
		return fmt.Errorf("%w: unexpected data after the final chunk", ErrMalformedChunk)
	}
	if err := c.expectEOF(); err != nil {
		return err
	}
	c.state = stDone
	return nil
}

func (c *chunkedReader) expectEOF() error {
	_, err := c.br.ReadByte()
	switch {
	case err == nil:
		return fmt.Errorf("%w: unexpected data after the end of the body", ErrMalformedChunk)
	case errors.Is(err, io.EOF):
		return nil
	default:
		return readError(err)
	}
}
