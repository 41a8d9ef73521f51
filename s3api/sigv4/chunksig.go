package sigv4

import (
	"encoding/hex"
	"strings"
)

// chainSigner computes the chained signatures of a signed aws-chunked body.
// Each signature covers the previous one, so chunks can be neither
// reordered, dropped nor replayed from another request:
//
//	sig(chunk n) = HMAC(key, "AWS4-HMAC-SHA256-PAYLOAD\n" + timestamp + "\n" + scope + "\n" +
//	                         sig(chunk n-1) + "\n" + hex(SHA256("")) + "\n" + hex(SHA256(data n)))
//	sig(trailer) = HMAC(key, "AWS4-HMAC-SHA256-TRAILER\n" + timestamp + "\n" + scope + "\n" +
//	                         sig(last chunk) + "\n" + hex(SHA256(trailer lines)))
//
// where sig(chunk 0) is the seed signature of the request itself.
type chainSigner struct {
	key    []byte
	middle string // "\n" + timestamp + "\n" + scope + "\n"
	prev   string
}

func newChainSigner(key []byte, timestamp string, s scope, seed string) *chainSigner {
	return &chainSigner{key: key, middle: "\n" + timestamp + "\n" + s.String() + "\n", prev: seed}
}

// chunk returns the expected signature of a chunk whose data hashes to
// dataSum, and advances the chain to it.
func (c *chainSigner) chunk(dataSum []byte) string {
	var b strings.Builder
	b.Grow(len(algorithmPayload) + len(c.middle) + 64 + 1 + 64 + 1 + 64)
	b.WriteString(algorithmPayload)
	b.WriteString(c.middle)
	b.WriteString(c.prev)
	b.WriteString("\n" + emptySHA256 + "\n")
	b.WriteString(hex.EncodeToString(dataSum))
	c.prev = signHex(c.key, b.String())
	return c.prev
}

// trailer returns the expected signature of the canonical trailer lines
// ("name:value\n" each), and advances the chain to it.
func (c *chainSigner) trailer(canonical []byte) string {
	sts := algorithmTrailer + c.middle + c.prev + "\n" + sha256Hex(canonical)
	c.prev = signHex(c.key, sts)
	return c.prev
}
