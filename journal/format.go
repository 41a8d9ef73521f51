package journal

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Layout constants; see the package comment for the picture.
const (
	sectorSize   = 512
	headerSlotSz = 4096
	dataStart    = 2 * headerSlotSz

	headerMagic  = 0x484a534d // "MSJH"
	recordMagic  = 0x524a534d // "MSJR"
	commitMagic  = 0x434a534d // "MSJC"
	formatVer    = 1
	headerLen    = 48
	recHeaderLen = 32
	entryLen     = 16
	trailerLen   = 16
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// header is the journal file's superblock, kept in two slots written
// alternately so a torn header write always leaves the other intact.
type header struct {
	seq      uint64 // the valid slot with the highest seq is current
	tailLSN  uint64 // LSN of the oldest record recovery must replay
	tailPos  int64  // its position in the file
	capacity int64  // file size the journal was formatted with
}

func (h header) encode() []byte {
	b := make([]byte, sectorSize)
	binary.LittleEndian.PutUint32(b[0:], headerMagic)
	binary.LittleEndian.PutUint16(b[4:], formatVer)
	binary.LittleEndian.PutUint64(b[8:], h.seq)
	binary.LittleEndian.PutUint64(b[16:], h.tailLSN)
	binary.LittleEndian.PutUint64(b[24:], uint64(h.tailPos))
	binary.LittleEndian.PutUint64(b[32:], uint64(h.capacity))
	binary.LittleEndian.PutUint32(b[44:], crc32.Checksum(b[:44], castagnoli))
	return b
}

// decodeHeader parses a header slot; ok is false if it is not a valid one.
func decodeHeader(b []byte) (h header, ok bool) {
	if len(b) < headerLen ||
		binary.LittleEndian.Uint32(b[0:]) != headerMagic ||
		binary.LittleEndian.Uint16(b[4:]) != formatVer ||
		binary.LittleEndian.Uint32(b[44:]) != crc32.Checksum(b[:44], castagnoli) {
		return header{}, false
	}
	h = header{
		seq:      binary.LittleEndian.Uint64(b[8:]),
		tailLSN:  binary.LittleEndian.Uint64(b[16:]),
		tailPos:  int64(binary.LittleEndian.Uint64(b[24:])),
		capacity: int64(binary.LittleEndian.Uint64(b[32:])),
	}
	if h.tailPos < dataStart || h.tailPos%sectorSize != 0 || h.tailPos > h.capacity || h.tailLSN == 0 {
		return header{}, false
	}
	return h, true
}

// entry is one change a record carries: len bytes at home offset off.
type entry struct {
	off int64
	n   uint32
}

// recordSize is the unpadded size of a record with the given entries.
func recordSize(count int, dataLen int64) int64 {
	return recHeaderLen + int64(count)*entryLen + dataLen + trailerLen
}

// padded rounds a record size up to whole sectors: records start on
// sector boundaries, so a torn write never mixes two records in a sector.
func padded(n int64) int64 { return (n + sectorSize - 1) / sectorSize * sectorSize }

// encodeRecordHead builds the record header and entry table.
func encodeRecordHead(lsn uint64, entries []entry, size int64) []byte {
	b := make([]byte, recHeaderLen+len(entries)*entryLen)
	binary.LittleEndian.PutUint32(b[0:], recordMagic)
	binary.LittleEndian.PutUint16(b[4:], formatVer)
	binary.LittleEndian.PutUint64(b[8:], lsn)
	binary.LittleEndian.PutUint32(b[16:], uint32(size))
	binary.LittleEndian.PutUint32(b[20:], uint32(len(entries)))
	binary.LittleEndian.PutUint32(b[24:], crc32.Checksum(b[:24], castagnoli))
	for i, e := range entries {
		o := recHeaderLen + i*entryLen
		binary.LittleEndian.PutUint64(b[o:], uint64(e.off))
		binary.LittleEndian.PutUint32(b[o+8:], e.n)
	}
	return b
}

// bodyCRC starts a record's checksum: the entry table, then the data.
// It does not depend on the LSN, so committers compute it before they
// take the journal lock.
func bodyCRC(entries []entry, data [][]byte) uint32 {
	tab := make([]byte, len(entries)*entryLen)
	for i, e := range entries {
		binary.LittleEndian.PutUint64(tab[i*entryLen:], uint64(e.off))
		binary.LittleEndian.PutUint32(tab[i*entryLen+8:], e.n)
	}
	c := crc32.Update(0, castagnoli, tab)
	for _, d := range data {
		c = crc32.Update(c, castagnoli, d)
	}
	return c
}

// encodeTrailer builds the commit mark and the padding after it. The
// checksum continues the body checksum over the first 24 header bytes, so
// it covers the whole record and binds it to its LSN.
func encodeTrailer(lsn uint64, head []byte, body uint32, size int64) []byte {
	crc := crc32.Update(body, castagnoli, head[:24])
	b := make([]byte, trailerLen+padded(size)-size)
	binary.LittleEndian.PutUint32(b[0:], commitMagic)
	binary.LittleEndian.PutUint32(b[4:], crc)
	binary.LittleEndian.PutUint64(b[8:], lsn)
	return b
}

// recHead is a decoded record header.
type recHead struct {
	lsn   uint64
	size  int64
	count int
}

// decodeRecordHead checks a record header read at some position: its magic,
// its own checksum and that its sizes are self-consistent and fit in
// limit bytes. ok is false for anything else, which recovery reads as the
// end of the log.
func decodeRecordHead(b []byte, limit int64) (h recHead, ok bool) {
	if len(b) < recHeaderLen ||
		binary.LittleEndian.Uint32(b[0:]) != recordMagic ||
		binary.LittleEndian.Uint16(b[4:]) != formatVer ||
		binary.LittleEndian.Uint32(b[24:]) != crc32.Checksum(b[:24], castagnoli) ||
		binary.LittleEndian.Uint16(b[6:]) != 0 || binary.LittleEndian.Uint32(b[28:]) != 0 {
		return recHead{}, false
	}
	h = recHead{
		lsn:   binary.LittleEndian.Uint64(b[8:]),
		size:  int64(binary.LittleEndian.Uint32(b[16:])),
		count: int(binary.LittleEndian.Uint32(b[20:])),
	}
	if h.size < recordSize(h.count, 0) || padded(h.size) > limit {
		return recHead{}, false
	}
	return h, true
}

// Change is one change of a decoded record: Data belongs at home offset Off.
type Change struct {
	Off  int64
	Data []byte
}

// decodeRecord checks and parses a whole record (b is exactly h.size
// bytes). The returned changes alias b.
func decodeRecord(b []byte, h recHead) ([]Change, error) {
	if int64(len(b)) != h.size {
		return nil, fmt.Errorf("%w: record %d is %d bytes, header says %d", ErrCorrupt, h.lsn, len(b), h.size)
	}
	tabEnd := recHeaderLen + h.count*entryLen
	dataEnd := len(b) - trailerLen
	tr := b[dataEnd:]
	if binary.LittleEndian.Uint32(tr[0:]) != commitMagic || binary.LittleEndian.Uint64(tr[8:]) != h.lsn {
		return nil, fmt.Errorf("%w: record %d has no commit mark", ErrCorrupt, h.lsn)
	}
	crc := crc32.Update(0, castagnoli, b[recHeaderLen:dataEnd])
	crc = crc32.Update(crc, castagnoli, b[:24])
	if crc != binary.LittleEndian.Uint32(tr[4:]) {
		return nil, fmt.Errorf("%w: record %d checksum mismatch", ErrCorrupt, h.lsn)
	}
	out := make([]Change, h.count)
	pos := tabEnd
	for i := range out {
		e := b[recHeaderLen+i*entryLen:]
		off := int64(binary.LittleEndian.Uint64(e))
		n := int(binary.LittleEndian.Uint32(e[8:]))
		if off < 0 || n > dataEnd-pos || binary.LittleEndian.Uint32(e[12:]) != 0 {
			return nil, fmt.Errorf("%w: record %d entry %d out of bounds", ErrCorrupt, h.lsn, i)
		}
		out[i] = Change{Off: off, Data: b[pos : pos+n]}
		pos += n
	}
	if pos != dataEnd {
		return nil, fmt.Errorf("%w: record %d has %d stray data bytes", ErrCorrupt, h.lsn, dataEnd-pos)
	}
	return out, nil
}

// DecodeRecord parses one record from the start of b, the way recovery
// does: it returns the record's LSN and changes, or an error wrapping
// ErrCorrupt. It exists for fuzzing and inspection tools.
func DecodeRecord(b []byte) (lsn uint64, changes []Change, err error) {
	h, ok := decodeRecordHead(b, int64(len(b))+sectorSize)
	if !ok || h.size > int64(len(b)) {
		return 0, nil, fmt.Errorf("%w: bad record header", ErrCorrupt)
	}
	changes, err = decodeRecord(b[:h.size], h)
	return h.lsn, changes, err
}
