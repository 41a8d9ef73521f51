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

	segHeaderLen = 32
	recHeaderLen = 24
	segMagic     = 0x4753534d // "MSSG"
	recMagic     = 0x4f53     // "SO"
	segVersion   = 1
	recAlign     = 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// segHeader starts every segment.
type segHeader struct {
	seq uint64 // order in which segments were (re)started
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
		binary.LittleEndian.Uint32(b[28:]) != crc32.Checksum(b[:28], castagnoli) {
		return segHeader{}, fmt.Errorf("%w: bad segment header", ErrCorrupt)
	}
	return segHeader{seq: binary.LittleEndian.Uint64(b[8:])}, nil
}

// Record is one stored object in a segment: its back pointer (the table
// and slot that own it, so cleaning can move it and fix the table entry)
// and its bytes.
type Record struct {
	Table uint32
	Slot  uint32
	Data  []byte
}

// recordSpan is the bytes a record of n data bytes takes, aligned.
func recordSpan(n int) int {
	return (recHeaderLen + n + recAlign - 1) / recAlign * recAlign
}

// encodeRecord writes r at the start of b (which must hold
// recordSpan(len(r.Data)) bytes) and returns the bytes used.
func encodeRecord(b []byte, r Record) int {
	n := recordSpan(len(r.Data))
	clear(b[:n])
	binary.LittleEndian.PutUint16(b[0:], recMagic)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(r.Data)))
	binary.LittleEndian.PutUint32(b[8:], r.Table)
	binary.LittleEndian.PutUint32(b[12:], r.Slot)
	copy(b[recHeaderLen:], r.Data)
	binary.LittleEndian.PutUint32(b[16:], recordCRC(b[:16], r.Data))
	return n
}

// recordCRC is CRC32C over the first 16 header bytes, then the data.
func recordCRC(head, data []byte) uint32 {
	return crc32.Update(crc32.Checksum(head, castagnoli), castagnoli, data)
}

// decodeRecord parses the record at the start of b. end is true at the
// end of the segment's records (an all-zero header: never written). The
// returned data aliases b.
func decodeRecord(b []byte) (r Record, span int, end bool, err error) {
	if len(b) < recHeaderLen {
		return Record{}, 0, true, nil
	}
	if allZero(b[:recHeaderLen]) {
		return Record{}, 0, true, nil
	}
	if m := binary.LittleEndian.Uint16(b[0:]); m != recMagic ||
		binary.LittleEndian.Uint16(b[2:]) != 0 || binary.LittleEndian.Uint32(b[20:]) != 0 {
		return Record{}, 0, false, fmt.Errorf("%w: bad record header", ErrCorrupt)
	}
	n := int(binary.LittleEndian.Uint32(b[4:]))
	if n > MaxObject || recHeaderLen+n > len(b) {
		return Record{}, 0, false, fmt.Errorf("%w: record of %d bytes overruns the segment", ErrCorrupt, n)
	}
	data := b[recHeaderLen : recHeaderLen+n : recHeaderLen+n]
	if recordCRC(b[:16], data) != binary.LittleEndian.Uint32(b[16:]) {
		return Record{}, 0, false, fmt.Errorf("%w: record checksum mismatch", ErrCorrupt)
	}
	span = min(recordSpan(n), len(b))
	if !allZero(b[recHeaderLen+n : span]) {
		return Record{}, 0, false, fmt.Errorf("%w: record padding is not zero", ErrCorrupt)
	}
	r = Record{
		Table: binary.LittleEndian.Uint32(b[8:]),
		Slot:  binary.LittleEndian.Uint32(b[12:]),
		Data:  data,
	}
	return r, span, false, nil
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
// fuzzing and inspection tools.
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
