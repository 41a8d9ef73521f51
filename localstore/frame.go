package localstore

import (
	"encoding/binary"
	"fmt"

	"mapstore/ssdalloc"
)

// A record is stored as one allocator object when it fits, and as a chain
// of them when it does not (a multipart object of thousands of parts):
//
//	whole:  | 0x01 | payload ...                                  |
//	head:   | 0x02 | n u32 | id_1 u64 ... id_n u64 | payload[0:k]  |
//	piece:  | 0x03 | payload[...]                                 |
//
// The head lists the pieces in order; the payload is the head's bytes
// followed by each piece's. Pieces are stored, written and freed together
// with their head, in the same batch.
const (
	frameWhole = 1
	frameHead  = 2
	framePiece = 3

	// maxFrame is the most an allocator object holds.
	maxFrame = ssdalloc.MaxObject
	// maxPiece is the payload one frame carries.
	maxPiece = maxFrame - 1
	// maxInline bounds Options.InlineMax: an inline body with the largest
	// key and metadata still fits one frame.
	maxInline = 32 << 10
)

// framesFor cuts payload into frames; ids are filled in by the caller
// (the head's list names the pieces' allocator ids).
func splitPayload(payload []byte) (head []byte, pieces [][]byte) {
	if len(payload)+1 <= maxFrame {
		return payload, nil
	}
	// The head keeps what is left after its id list.
	n := 0
	for {
		headRoom := maxFrame - 1 - 4 - 8*n
		if len(payload)-headRoom <= n*maxPiece {
			rest := payload[headRoom:]
			for len(rest) > 0 {
				k := min(len(rest), maxPiece)
				pieces = append(pieces, rest[:k])
				rest = rest[k:]
			}
			return payload[:headRoom], pieces
		}
		n++
	}
}

func encodeWhole(payload []byte) []byte {
	return append([]byte{frameWhole}, payload...)
}

func encodeHead(ids []ssdalloc.ObjectID, part []byte) []byte {
	b := make([]byte, 0, 5+8*len(ids)+len(part))
	b = append(b, frameHead)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(ids)))
	for _, id := range ids {
		b = binary.LittleEndian.AppendUint64(b, uint64(id))
	}
	return append(b, part...)
}

func encodePiece(part []byte) []byte { return append([]byte{framePiece}, part...) }

// parseHead returns the piece ids and payload part of a head frame.
func parseHead(f []byte) ([]ssdalloc.ObjectID, []byte, error) {
	if len(f) < 5 {
		return nil, nil, fmt.Errorf("%w: head frame of %d bytes", ErrCorrupt, len(f))
	}
	n := int(binary.LittleEndian.Uint32(f[1:]))
	if n > (len(f)-5)/8 {
		return nil, nil, fmt.Errorf("%w: head frame lists %d pieces in %d bytes", ErrCorrupt, n, len(f))
	}
	ids := make([]ssdalloc.ObjectID, n)
	for i := range ids {
		ids[i] = ssdalloc.ObjectID(binary.LittleEndian.Uint64(f[5+8*i:]))
	}
	return ids, f[5+8*n:], nil
}
