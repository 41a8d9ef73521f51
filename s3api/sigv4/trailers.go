package sigv4

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// readTrailers reads the trailer section that follows the final chunk, up
// to the end of the body:
//
//	x-amz-checksum-crc32:AAAAAA==\r\n
//	x-amz-trailer-signature:<64 hex>\r\n     (signed bodies only)
//	\r\n
//
// Lines may also end in a bare "\n", and empty lines may separate the
// fields from the signature line, as minio-go sends; after the first empty
// line only the signature line and further empty lines may follow. Every trailer
// named in x-amz-trailer must arrive exactly once and no other may. The
// signature covers the lines "name:value\n" (lower-case name, trimmed value)
// in the order received.
func (c *chunkedReader) readTrailers() error {
	declared := make(map[string]bool, len(c.cfg.declared))
	for _, name := range c.cfg.declared {
		declared[name] = true
	}
	c.trailerKV = make(map[string]string, len(declared))
	var (
		canonical  []byte
		signature  string
		haveSig    bool
		blankSeen  bool
		lastBlank  bool
		totalBytes int
	)
	for {
		line, err := c.br.ReadSlice('\n')
		totalBytes += len(line)
		if totalBytes > maxTrailerBytes {
			return fmt.Errorf("%w: trailer section exceeds %d bytes", ErrMalformedTrailer, maxTrailerBytes)
		}
		if err != nil {
			if errors.Is(err, io.EOF) && len(line) == 0 {
				break
			}
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("%w: trailer line not terminated", ErrIncompleteBody)
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				return fmt.Errorf("%w: trailer line too long", ErrMalformedTrailer)
			}
			return readError(err)
		}
		line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
		if len(line) == 0 {
			blankSeen, lastBlank = true, true
			continue
		}
		lastBlank = false
		if haveSig {
			return fmt.Errorf("%w: data after the trailer signature", ErrMalformedTrailer)
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return fmt.Errorf("%w: trailer line without ':'", ErrMalformedTrailer)
		}
		name := strings.ToLower(strings.TrimSpace(string(k)))
		value := strings.TrimSpace(string(v))
		if name == trailerSignatureName {
			if c.cfg.signer == nil {
				return fmt.Errorf("%w: trailer signature in an unsigned body", ErrMalformedTrailer)
			}
			if !isLowerHex(value, 64) {
				return fmt.Errorf("%w: trailer signature must be 64 lower-case hex digits", ErrMalformedTrailer)
			}
			signature, haveSig = value, true
			continue
		}
		if blankSeen {
			return fmt.Errorf("%w: trailer after an empty line", ErrMalformedTrailer)
		}
		if !declared[name] {
			return fmt.Errorf("%w: trailer %q not declared in x-amz-trailer", ErrMalformedTrailer, name)
		}
		if _, dup := c.trailerKV[name]; dup {
			return fmt.Errorf("%w: trailer %q repeated", ErrMalformedTrailer, name)
		}
		c.trailerKV[name] = value
		canonical = append(canonical, name...)
		canonical = append(canonical, ':')
		canonical = append(canonical, value...)
		canonical = append(canonical, '\n')
	}

	if !lastBlank {
		return fmt.Errorf("%w: trailer section not terminated by an empty line", ErrIncompleteBody)
	}
	for _, name := range c.cfg.declared {
		if _, ok := c.trailerKV[name]; !ok {
			return fmt.Errorf("%w: declared trailer %q missing", ErrMalformedTrailer, name)
		}
	}
	if c.cfg.signer != nil {
		if !haveSig {
			return fmt.Errorf("%w: missing %s", ErrMalformedTrailer, trailerSignatureName)
		}
		if !signaturesEqual(c.cfg.signer.trailer(canonical), signature) {
			return ErrTrailerSignatureMismatch
		}
	}
	c.state = stDone
	return nil
}
