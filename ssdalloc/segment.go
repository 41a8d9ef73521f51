package ssdalloc

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Segment layout (see the package comment for the picture).
const (
	// SegmentSize is the unit of the object log and of cleaning.
	SegmentSize = 128 << 10
	// BlockSize is the unit in which a Space places a segment on the
	// device: a segment is SegmentSize/BlockSize blocks, each anywhere.
	BlockSize = 4096

	segBlocks    = SegmentSize / BlockSize
	segHeaderLen = 32
	segMagic     = 0x4753534d // "MSSG"
	segVersion   = 2

	recHeaderLen = 12
	recAlign     = 4
	recTag       = 0xa5 // top byte of a record's first word
	recLenBits   = 17   // enough for MaxObject (64 KiB) itself
	recLenMask   = 1<<recLenBits - 1
	maxRecordID  = 1<<32 - 1 // a record's back pointer is a u32 object id
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// segHeader starts every segment.
type segHeader struct {
	seq uint64 // order in which segments were (re)started since the allocator was loaded
}

func (h segHeader) encode(b []byte) {
	clear(b[:segHeaderLen])
	binary.LittleEndian.PutUint32(b[0:], segMagic)
	binary.LittleEndian.PutUint16(b[4:], segVersion)
	binary.LittleEndian.PutUint64(b[8:], h.seq)
	binary.LittleEndian.PutUint32(b[28:], crc32.Checksum(b[:28], castagnoli))
}

func decodeSegHeader(b []byte) (segHeader, error) {
	if len(b) < segHeaderLen ||
		binary.LittleEndian.Uint32(b[0:]) != segMagic ||
		binary.LittleEndian.Uint16(b[4:]) != segVersion ||
		binary.LittleEndian.Uint16(b[6:]) != 0 ||
		!allZero(b[16:28]) ||
		binary.LittleEndian.Uint32(b[28:]) != crc32.Checksum(b[:28], castagnoli) {
		return segHeader{}, fmt.Errorf("%w: bad segment header", ErrCorrupt)
	}
	return segHeader{seq: binary.LittleEndian.Uint64(b[8:])}, nil
}

// Record is one stored object in a segment: its back pointer (the id of
// the object that owns it, so cleaning can find its table entry, tell
// whether the record is still the object's current one, and fix the entry
// when it moves the record) and its bytes.
type Record struct {
	ID   ObjectID
	Data []byte
}

// recordSpan is the bytes a record of n data bytes takes, aligned.
func recordSpan(n int) int {
	return (recHeaderLen + n + recAlign - 1) &^ (recAlign - 1)
}

// encodeRecord writes r at the start of b (which must hold
// recordSpan(len(r.Data)) bytes) and returns the bytes used. r.ID must be
// between 1 and maxRecordID.
func encodeRecord(b []byte, r Record) int {
	n := recordSpan(len(r.Data))
	binary.LittleEndian.PutUint32(b[0:], uint32(len(r.Data))|recTag<<24)
	binary.LittleEndian.PutUint32(b[4:], uint32(r.ID))
	copy(b[recHeaderLen:], r.Data)
	clear(b[recHeaderLen+len(r.Data) : n])
	binary.LittleEndian.PutUint32(b[8:], recordCRC(b[:8], r.Data))
	return n
}

// recordCRC is CRC32C over the first 8 header bytes, then the data.
func recordCRC(head, data []byte) uint32 {
	return crc32.Update(crc32.Checksum(head, castagnoli), castagnoli, data)
}

// decodeRecord parses the record at the start of b. end is true at the
// end of the segment's records (an all-zero header, never written, or
// no room for a header). The returned data aliases b.
func decodeRecord(b []byte) (r Record, span int, end bool, err error) {
	if len(b) < recHeaderLen || allZero(b[:recHeaderLen]) {
		return Record{}, 0, true, nil
	}
	w := binary.LittleEndian.Uint32(b[0:])
	if w>>24 != recTag || w>>recLenBits&0x7f != 0 {
		return Record{}, 0, false, fmt.Errorf("%w: bad record header", ErrCorrupt)
	}
	n := int(w & recLenMask)
	if n > MaxObject || recHeaderLen+n > len(b) {
		return Record{}, 0, false, fmt.Errorf("%w: record of %d bytes overruns the segment", ErrCorrupt, n)
	}
	id := ObjectID(binary.LittleEndian.Uint32(b[4:]))
	if id == 0 {
		return Record{}, 0, false, fmt.Errorf("%w: record of object 0", ErrCorrupt)
	}
	data := b[recHeaderLen : recHeaderLen+n : recHeaderLen+n]
	if recordCRC(b[:8], data) != binary.LittleEndian.Uint32(b[8:]) {
		return Record{}, 0, false, fmt.Errorf("%w: record checksum mismatch", ErrCorrupt)
	}
	span = min(recordSpan(n), len(b))
	if !allZero(b[recHeaderLen+n : span]) {
		return Record{}, 0, false, fmt.Errorf("%w: record padding is not zero", ErrCorrupt)
	}
	return Record{ID: id, Data: data}, span, false, nil
}

// peekRecord reads the header of the record at the start of b, without
// checking its checksum: its data length and back pointer.
func peekRecord(b []byte) (n int, id ObjectID, err error) {
	if len(b) < recHeaderLen {
		return 0, 0, fmt.Errorf("%w: record header cut short", ErrCorrupt)
	}
	w := binary.LittleEndian.Uint32(b[0:])
	n = int(w & recLenMask)
	id = ObjectID(binary.LittleEndian.Uint32(b[4:]))
	if w>>24 != recTag || w>>recLenBits&0x7f != 0 || n > MaxObject || recHeaderLen+n > len(b) || id == 0 {
		return 0, 0, fmt.Errorf("%w: bad record header", ErrCorrupt)
	}
	return n, id, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// DecodeSegment parses a whole segment: its header and the records in it,
// in order, with their offsets. It exists for cleaning, recovery checks,
// fuzzing and inspection tools. Cleaning passes only the bytes the log
// appended (a reused segment may hold stale records of an earlier life
// beyond them).
func DecodeSegment(b []byte) (seq uint64, recs []Record, offs []int, err error) {
	h, err := decodeSegHeader(b)
	if err != nil {
		return 0, nil, nil, err
	}
	for off := segHeaderLen; off < len(b); {
		r, span, end, err := decodeRecord(b[off:])
		if err != nil {
			return 0, nil, nil, fmt.Errorf("at offset %d: %w", off, err)
		}
		if end {
			break
		}
		recs = append(recs, r)
		offs = append(offs, off)
		off += span
	}
	return h.seq, recs, offs, nil
}
