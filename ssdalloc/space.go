package ssdalloc

import "mapstore/mmio"

// Space says where segments live on the device.
//
// A segment is SegmentSize/BlockSize blocks of BlockSize bytes. They need
// not be contiguous: a layout layer may hand out blocks wherever it has
// free ones, and the allocator splits every record read and write at block
// boundaries, with one I/O per run of physically consecutive blocks.
//
//	segment 5, logical:  | blk 0 | blk 1 | blk 2 | ... | blk 31 |
//	                         |       |       |              |
//	device file:   ...[blk 2][blk 0][blk 1]...[blk 31]...    blocks 0 and 1 are
//	                                                          consecutive: a record
//	                                                          across them is one I/O
//
// A segment, once given blocks, keeps them: the log reuses free segments,
// lowest numbers first, so the space grows only when every segment it has
// given blocks to holds records. The allocator asks for a segment's blocks
// when it opens the segment (with the batch's transaction) and, on load,
// for every segment holding a live record (with tx nil), and keeps the
// offsets in DRAM (BlockSize/8 = 1/512 of a segment: 256 bytes).
type Space interface {
	// Segment returns the device-file offset of each of the SegmentSize/4096 blocks
	// of segment seg, in order. When the segment has no blocks yet and tx is not nil,
	// it allocates them through tx (durable when tx commits); with tx nil it fails
	// with an error wrapping ErrNoSegment. The result is not retained by the callee.
	Segment(tx *mmio.Tx, seg uint32) ([]int64, error)
}

// ContiguousSpace places segment s at Off + s*SegmentSize (blocks contiguous).
// Every segment has its blocks from the start: the caller sizes the file
// for the segment count it passes to LoadAllocator.
type ContiguousSpace struct{ Off int64 }

// Segment implements Space.
func (c ContiguousSpace) Segment(_ *mmio.Tx, seg uint32) ([]int64, error) {
	out := make([]int64, segBlocks)
	base := c.Off + int64(seg)*SegmentSize
	for i := range out {
		out[i] = base + int64(i)*BlockSize
	}
	return out, nil
}
