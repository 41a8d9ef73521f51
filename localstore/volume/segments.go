package volume

import (
	"fmt"

	"mapstore/localstore/hashfs"
	"mapstore/mmio"
	"mapstore/ssdalloc"
)

// segmentSpace places the allocator's segments through the translation:
// segment s is logical blocks [32s, 32s+32) of SegmentsObject, allocated
// when the allocator first opens it and kept from then on (the log reuses
// its segments). Its 32 blocks share a run, so they are usually one
// extent.
type segmentSpace struct{ v *Volume }

var _ ssdalloc.Space = segmentSpace{}

func (s segmentSpace) Segment(tx *mmio.Tx, seg uint32) ([]int64, error) {
	v := s.v
	offs := make([]int64, segmentBlocks)
	for i := range offs {
		k := hashfs.Key{Obj: SegmentsObject, Block: uint64(seg)*segmentBlocks + uint64(i)}
		m, ok := v.tr.Lookup(k)
		if ok {
			offs[i] = v.blockOff(m.Block)
			continue
		}
		if tx == nil {
			return nil, fmt.Errorf("%w: segment %d has no block %d", ssdalloc.ErrNoSegment, seg, i)
		}
		b, err := v.tr.Insert(tx, k)
		if err != nil {
			// Give back the blocks this call took: a segment has all its
			// blocks or none.
			for u := range i {
				k := hashfs.Key{Obj: SegmentsObject, Block: uint64(seg)*segmentBlocks + uint64(u)}
				if derr := v.tr.Delete(tx, k); derr != nil {
					return nil, v.fail(fmt.Errorf("volume: giving back blocks of segment %d: %w", seg, derr))
				}
			}
			return nil, fmt.Errorf("volume: allocating segment %d: %w", seg, err)
		}
		offs[i] = v.blockOff(b)
	}
	return offs, nil
}
