package sigv4

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
)

// Body is the decoded request body of a verified request. It removes any
// aws-chunked framing and checks, while streaming, everything the request
// promised about its payload: x-amz-content-sha256, chunk and trailer
// signatures, x-amz-decoded-content-length, Content-MD5 and the
// x-amz-checksum-* header or trailer.
//
// Data is returned as it arrives, before the checks that cover it can
// complete. Only a Read that returns io.EOF certifies the body; any other
// error (see S3Code) means the request must be rejected and everything
// read from it discarded. Errors are sticky.
//
// A Body is not safe for concurrent use.
type Body struct {
	src     io.ReadCloser
	r       io.Reader      // src, or the aws-chunked decoder over it
	chunked *chunkedReader // nil unless aws-chunked

	sha256     hash.Hash // x-amz-content-sha256 is a digest
	wantSHA256 []byte
	md5        hash.Hash // Content-MD5 present
	wantMD5    []byte
	sum        hash.Hash // x-amz-checksum-* present or promised
	spec       *checksumSpec

	n        int64
	err      error
	verified *Checksum
}

// Read reads decoded body data. See the type documentation for the meaning
// of its errors.
func (b *Body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.r.Read(p)
	if n > 0 {
		b.n += int64(n)
		for _, h := range [...]hash.Hash{b.sha256, b.md5, b.sum} {
			if h != nil {
				h.Write(p[:n])
			}
		}
	}
	switch {
	case err == nil:
	case err == io.EOF:
		if ferr := b.finish(); ferr != nil {
			err = ferr
		}
		b.err = err
	case b.chunked == nil:
		b.err = readError(err)
		err = b.err
	default:
		b.err = err
	}
	return n, err
}

// finish runs the checks that need the whole body.
func (b *Body) finish() error {
	if b.sha256 != nil && !bytes.Equal(b.sha256.Sum(nil), b.wantSHA256) {
		return fmt.Errorf("%w: over %d bytes", ErrContentSHA256Mismatch, b.n)
	}
	if b.md5 != nil && !bytes.Equal(b.md5.Sum(nil), b.wantMD5) {
		return fmt.Errorf("%w: over %d bytes", ErrBadDigest, b.n)
	}
	if b.spec == nil {
		return nil
	}
	value, want := b.spec.value, b.spec.want
	if b.spec.trailer {
		v, ok := b.chunked.trailer(b.spec.alg.HeaderName())
		if !ok {
			return fmt.Errorf("%w: trailer %s missing", ErrMalformedTrailer, b.spec.alg.HeaderName())
		}
		w, err := decodeChecksum(b.spec.alg, v)
		if err != nil {
			return err
		}
		value, want = v, w
	}
	if !bytes.Equal(b.sum.Sum(nil), want) {
		return fmt.Errorf("%w: %s", ErrChecksumMismatch, b.spec.alg.HeaderName())
	}
	b.verified = &Checksum{Algorithm: b.spec.alg, Value: value, Trailer: b.spec.trailer}
	return nil
}

// Close closes the underlying request body.
func (b *Body) Close() error {
	return b.src.Close()
}

// BytesRead returns the number of decoded bytes returned so far.
func (b *Body) BytesRead() int64 { return b.n }

// Checksum returns the x-amz-checksum-* value that the body was verified
// against. ok is false until Read has returned io.EOF, and when the request
// carried no checksum.
func (b *Body) Checksum() (c Checksum, ok bool) {
	if b.verified == nil || !errors.Is(b.err, io.EOF) {
		return Checksum{}, false
	}
	return *b.verified, true
}

// bodySpec collects what newBody needs to know.
type bodySpec struct {
	mode       PayloadMode
	wantSHA256 []byte // PayloadSHA256 only
	wantMD5    []byte // nil if no Content-MD5
	checksum   *checksumSpec
	chunked    chunkedConfig
}

func newBody(src io.ReadCloser, spec bodySpec) *Body {
	if src == nil {
		src = io.NopCloser(bytes.NewReader(nil))
	}
	b := &Body{src: src, r: src, spec: spec.checksum}
	if spec.mode.Chunked() {
		b.chunked = newChunkedReader(src, spec.chunked)
		b.r = b.chunked
	}
	if spec.mode == PayloadSHA256 {
		b.sha256, b.wantSHA256 = sha256.New(), spec.wantSHA256
	}
	if spec.wantMD5 != nil {
		b.md5, b.wantMD5 = md5.New(), spec.wantMD5
	}
	if spec.checksum != nil {
		b.sum = spec.checksum.alg.New()
	}
	return b
}
