package volume

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// superblock is the first 4 KiB of the device: the geometry, written once
// when the device is formatted and never changed afterwards.
//
//	 0 +----------+----------+-----------+------+-------+
//	   | "MAPSTVOL" | version | blockSize | run  | 0     |
//	   | 8 B        | u32     | u32       | u32  | u32   |
//	24 +----------+-----------+----------+---------+----+
//	   | blocks   | allocSlots | tableOff | allocOff|    |
//	   | u64      | u64        | u64      | u64     |    |
//	56 +----------+-----------+----------+---------+----+
//	   | rootOff  | dataOff   | segments | uuid    | created (unix ns) |
//	   | u64      | u64       | u64      | 16 B    | u64               |
//	112+----------+-----------+----------+---------+-------------------+
//	   | crc u32 = CRC32C(bytes 0..112) | zeros to 4096
type superblock struct {
	version    uint32
	blockSize  uint32
	run        uint32
	blocks     int64 // data blocks = translation slots
	allocSlots int64 // object slots the allocator's metadata area holds
	tableOff   int64 // translation table area (start of the metadata region)
	allocOff   int64 // allocator metadata area
	rootOff    int64 // RootSize bytes for the layer above
	dataOff    int64 // data block 0; the metadata region ends here
	segments   int64 // segments the allocator may open
	uuid       [16]byte
	created    int64
}

const (
	superMagic   = "MAPSTVOL"
	superVersion = 1
	superLen     = 116
	// maxBlocks (16 PiB of 4 KiB blocks) and maxRun bound what a
	// superblock may claim, so no size computation overflows.
	maxBlocks = 1 << 42
	maxRun    = 1 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (s *superblock) encode() []byte {
	b := make([]byte, BlockSize)
	copy(b, superMagic)
	le := binary.LittleEndian
	le.PutUint32(b[8:], s.version)
	le.PutUint32(b[12:], s.blockSize)
	le.PutUint32(b[16:], s.run)
	le.PutUint64(b[24:], uint64(s.blocks))
	le.PutUint64(b[32:], uint64(s.allocSlots))
	le.PutUint64(b[40:], uint64(s.tableOff))
	le.PutUint64(b[48:], uint64(s.allocOff))
	le.PutUint64(b[56:], uint64(s.rootOff))
	le.PutUint64(b[64:], uint64(s.dataOff))
	le.PutUint64(b[72:], uint64(s.segments))
	copy(b[80:96], s.uuid[:])
	le.PutUint64(b[96:], uint64(s.created))
	le.PutUint32(b[112:], crc32.Checksum(b[:112], castagnoli))
	return b
}

// decodeSuperblock parses and checks a superblock: its checksum, and a
// geometry whose areas follow each other in order and fit in devSize.
func decodeSuperblock(b []byte, devSize int64) (*superblock, error) {
	if len(b) < superLen {
		return nil, fmt.Errorf("%w: superblock of %d bytes", ErrCorrupt, len(b))
	}
	if !bytes.Equal(b[:8], []byte(superMagic)) {
		return nil, fmt.Errorf("%w: no mapstore superblock (magic %q)", ErrNotFormatted, b[:8])
	}
	le := binary.LittleEndian
	if got, want := le.Uint32(b[112:]), crc32.Checksum(b[:112], castagnoli); got != want {
		return nil, fmt.Errorf("%w: superblock checksum %08x, want %08x", ErrCorrupt, got, want)
	}
	s := &superblock{
		version:    le.Uint32(b[8:]),
		blockSize:  le.Uint32(b[12:]),
		run:        le.Uint32(b[16:]),
		blocks:     int64(le.Uint64(b[24:])),
		allocSlots: int64(le.Uint64(b[32:])),
		tableOff:   int64(le.Uint64(b[40:])),
		allocOff:   int64(le.Uint64(b[48:])),
		rootOff:    int64(le.Uint64(b[56:])),
		dataOff:    int64(le.Uint64(b[64:])),
		segments:   int64(le.Uint64(b[72:])),
		created:    int64(le.Uint64(b[96:])),
	}
	copy(s.uuid[:], b[80:96])
	if s.version != superVersion {
		return nil, fmt.Errorf("%w: superblock version %d, this build reads %d", ErrCorrupt, s.version, superVersion)
	}
	if s.blocks > maxBlocks || s.allocSlots > maxBlocks*SlotsPerBlock || s.run > maxRun {
		return nil, fmt.Errorf("%w: superblock sizes out of range", ErrCorrupt)
	}
	want, err := layout(s.blocks, s.allocSlots, int(s.run))
	if err != nil {
		return nil, fmt.Errorf("%w: superblock geometry: %v", ErrCorrupt, err)
	}
	want.uuid, want.created, want.version = s.uuid, s.created, s.version
	if *want != *s {
		return nil, fmt.Errorf("%w: superblock geometry is not the one its sizes give", ErrCorrupt)
	}
	if end := s.dataOff + s.blocks*BlockSize; end > devSize {
		return nil, fmt.Errorf("%w: the volume needs %d bytes, the device has %d", ErrCorrupt, end, devSize)
	}
	return s, nil
}
