package ssdalloc

import (
	"encoding/binary"
	"fmt"
)

// A slot record is one object table entry on the device: 8 bytes, a
// little-endian u64 packing the state of the slot and where its record is.
//
//	bit 63 62 61                 34 33           19 18            2 1   0
//	   +-----+---------------------+---------------+---------------+-----+
//	   | 0 0 | seg (28 bits)       | off/4 (15 b)  | len (17 bits) |state|
//	   +-----+---------------------+---------------+---------------+-----+
//
//	state 0 free:       the whole word is 0
//	state 1 allocated:  no record yet; the other fields are 0
//	state 3 stored:     the record is at byte off of segment seg and holds
//	                    len object bytes (records are 4-byte aligned, so off
//	                    is kept divided by 4; 15 bits cover a 128 KiB segment)
//	state 2 is invalid.
//
// 28 bits of segment number address 2^28 segments of 128 KiB: 32 TiB of log.
const (
	slotRecLen  = 8
	slotFree    = 0
	slotAlloc   = 1
	slotStored  = 3
	maxSegments = 1 << 28

	slotLenShift = 2
	slotOffShift = slotLenShift + recLenBits // 19
	slotOffBits  = 15
	slotSegShift = slotOffShift + slotOffBits // 34
	slotSegBits  = 28
)

// encodeSlot returns the slot record of an allocated slot whose object
// is at loc (Seg noSeg: not stored yet). loc must be representable: Seg
// below maxSegments, Off a multiple of 4 below SegmentSize, Len at most
// MaxObject.
func encodeSlot(loc Location) uint64 {
	if loc.Seg == noSeg {
		return slotAlloc
	}
	return slotStored |
		uint64(loc.Len)<<slotLenShift |
		uint64(loc.Off/recAlign)<<slotOffShift |
		uint64(loc.Seg)<<slotSegShift
}

// decodeSlot parses a slot record. It checks the record on its own
// (known state, reserved bits zero, fields of a free or allocated slot
// zero, length at most MaxObject); whether the location fits the
// allocator (segment count, class size, segment bounds, overlaps) is the
// loader's to check. stored reports a slot holding a record at loc;
// allocated a slot in use (stored or not).
func decodeSlot(w uint64) (loc Location, allocated, stored bool, err error) {
	switch w & 3 {
	case slotFree:
		if w != 0 {
			return Location{}, false, false, fmt.Errorf("%w: free slot record %#x has fields set", ErrCorrupt, w)
		}
		return Location{Seg: noSeg}, false, false, nil
	case slotAlloc:
		if w != slotAlloc {
			return Location{}, false, false, fmt.Errorf("%w: unstored slot record %#x has fields set", ErrCorrupt, w)
		}
		return Location{Seg: noSeg}, true, false, nil
	case slotStored:
		if w>>(slotSegShift+slotSegBits) != 0 {
			return Location{}, false, false, fmt.Errorf("%w: slot record %#x has reserved bits set", ErrCorrupt, w)
		}
		loc = Location{
			Seg: uint32(w >> slotSegShift & (1<<slotSegBits - 1)),
			Off: uint32(w>>slotOffShift&(1<<slotOffBits-1)) * recAlign,
			Len: uint32(w >> slotLenShift & recLenMask),
		}
		if loc.Len > MaxObject {
			return Location{}, false, false, fmt.Errorf("%w: slot record of %d bytes", ErrCorrupt, loc.Len)
		}
		return loc, true, true, nil
	default:
		return Location{}, false, false, fmt.Errorf("%w: slot record %#x in unknown state", ErrCorrupt, w)
	}
}

func putSlot(b []byte, w uint64) { binary.LittleEndian.PutUint64(b, w) }
