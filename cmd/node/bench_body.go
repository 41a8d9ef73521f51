package main

import (
	"io"
	"math/rand/v2"
)

// payloadSize is the size of the random bytes every PUT body is cut
// from. Not a power of two, so that the bodies of successive operations,
// which start at different offsets, do not line up.
const payloadSize = 4<<20 + 4093

// payload is the random bytes shared by every body of a run: generated
// once, read by all clients at once, never written again.
type payload []byte

// newPayload generates a payload from a fixed seed (the bytes only have
// to be incompressible, not secret or different between runs).
func newPayload() payload {
	p := make(payload, payloadSize)
	rand.NewChaCha8([32]byte{'m', 'a', 'p', 's', 't', 'o', 'r', 'e'}).Read(p)
	return p
}

// body returns a reader of size bytes of p, starting at an offset chosen
// by seq and wrapping around at the end. It copies from p into the
// caller's buffer as it is read: a body of any size costs one small
// struct, never a buffer of its own, so a 1 GiB PUT streams from the
// same few MiB as a 4 KiB one.
func (p payload) body(seq, size int64) io.Reader {
	return &bodyReader{p: p, off: int(seq * 7919 % int64(len(p))), left: size}
}

// bodyReader is the io.Reader body returns.
type bodyReader struct {
	p    []byte
	off  int   // next byte of p to read
	left int64 // bytes still to read
}

func (b *bodyReader) Read(dst []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(dst)) > b.left {
		dst = dst[:b.left]
	}
	n := 0
	for n < len(dst) {
		c := copy(dst[n:], b.p[b.off:])
		n += c
		if b.off += c; b.off == len(b.p) {
			b.off = 0
		}
	}
	b.left -= int64(n)
	return n, nil
}
