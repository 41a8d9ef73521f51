package volume

import (
	"fmt"

	"mapstore/localstore/hashfs"
	"mapstore/ssdalloc"
)

const (
	// BlockSize is the unit of the translation: slot i of the table is
	// data block i of the device.
	BlockSize = 4096
	// RootSize is the area of the metadata region kept for the layer
	// above (its applied index, counters): written through its
	// transactions like everything else.
	RootSize = 4096
	// DefaultRun is the run length: 256 blocks (1 MiB) of an object are
	// hashed together and kept physically contiguous.
	DefaultRun = 256
	// SlotsPerBlock is how many small-object slots the allocator's
	// metadata area is sized for, per data block.
	SlotsPerBlock = 4
	// segmentBlocks is the blocks of one allocator segment.
	segmentBlocks = ssdalloc.SegmentSize / BlockSize
)

func align(n int64) int64 { return (n + BlockSize - 1) / BlockSize * BlockSize }

// layout places the areas of a volume of blocks data blocks:
//
//	0          4 KiB                                                 dataOff
//	| super    | translation table | allocator metadata | root      | data blocks ...
//	           | blocks x 16 B     | MetaSize(slots)    | 4 KiB     | blocks x 4 KiB
//	           '------------------- metadata region --------------'
func layout(blocks, allocSlots int64, run int) (*superblock, error) {
	if run <= 0 || run&(run-1) != 0 {
		return nil, fmt.Errorf("run length %d is not a power of two", run)
	}
	if blocks <= 0 || blocks%int64(run) != 0 || blocks%segmentBlocks != 0 {
		return nil, fmt.Errorf("%d blocks is not a positive multiple of the run (%d) and of a segment (%d)", blocks, run, segmentBlocks)
	}
	if allocSlots <= 0 {
		return nil, fmt.Errorf("%d allocator slots", allocSlots)
	}
	s := &superblock{
		version:    superVersion,
		blockSize:  BlockSize,
		run:        uint32(run),
		blocks:     blocks,
		allocSlots: allocSlots,
		tableOff:   BlockSize,
	}
	s.allocOff = s.tableOff + align(hashfs.AreaSize(blocks))
	s.rootOff = s.allocOff + align(ssdalloc.MetaSize(allocSlots))
	s.dataOff = s.rootOff + RootSize
	s.segments = blocks / segmentBlocks
	return s, nil
}

// fit returns the largest layout that fits in devSize bytes.
func fit(devSize int64, run int) (*superblock, error) {
	unit := int64(run)
	if unit < segmentBlocks {
		unit = segmentBlocks
	}
	slotLen := ssdalloc.MetaSize(1) - ssdalloc.MetaSize(0)
	perBlock := BlockSize + hashfs.EntrySize + SlotsPerBlock*slotLen
	blocks := devSize/perBlock/unit*unit + unit
	for ; blocks > 0; blocks -= unit {
		s, err := layout(blocks, blocks*SlotsPerBlock, run)
		if err != nil {
			return nil, err
		}
		if s.dataOff+blocks*BlockSize <= devSize {
			return s, nil
		}
	}
	return nil, fmt.Errorf("%w: %d bytes hold no run of %d blocks with its metadata", ErrTooSmall, devSize, run)
}
