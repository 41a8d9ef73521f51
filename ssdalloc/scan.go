package ssdalloc

import "fmt"

// Scan calls fn with every stored object: its id and its bytes, segment by
// segment, in log order within a segment. It reads each segment that holds
// a live record once, whole, so a store rebuilding its indexes at start
// reads the log sequentially instead of object by object. data is valid
// only during the call. A record whose checksum fails, or a segment whose
// live records do not add up to what the tables say, stops the scan with
// an error wrapping ErrCorrupt. fn's error stops it too and is returned.
// Not safe for use concurrently with changes.
func (d *DurableAllocator) Scan(fn func(id ObjectID, data []byte) error) error {
	if d.err != nil {
		return d.err
	}
	buf := make([]byte, SegmentSize)
	for s := range d.a.log.segs {
		seg := uint32(s)
		live, used := d.a.log.Live(seg), d.a.log.Used(seg)
		if live == 0 {
			continue
		}
		var b []byte
		if s == d.head {
			b = d.buf[:d.end]
		} else {
			b = buf[:used]
			if err := d.segIO(false, seg, 0, b); err != nil {
				return err
			}
		}
		if _, err := decodeSegHeader(b); err != nil {
			return fmt.Errorf("segment %d: %w", seg, err)
		}
		found := 0
		for off := segHeaderLen; off < len(b); {
			n, id, err := peekRecord(b[off:])
			if err != nil {
				return fmt.Errorf("segment %d at offset %d: %w", seg, off, err)
			}
			span := recordSpan(n)
			if d.a.Live(seg, uint32(off), id) {
				r, _, _, err := decodeRecord(b[off:min(off+span, len(b))])
				if err != nil {
					return fmt.Errorf("segment %d at offset %d: %w", seg, off, err)
				}
				found += span
				if err := fn(r.ID, r.Data); err != nil {
					return err
				}
			}
			off += span
		}
		if found != live {
			return fmt.Errorf("%w: segment %d: its records hold %d live bytes, the tables %d", ErrCorrupt, seg, found, live)
		}
	}
	return nil
}
