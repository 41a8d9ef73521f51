package ssdalloc

import (
	"bytes"
	"errors"
	"testing"
)

// buildSegment lays out a segment with the given records.
func buildSegment(seq uint64, recs []Record) []byte {
	b := make([]byte, SegmentSize)
	segHeader{seq: seq}.encode(b)
	off := segHeaderLen
	for _, r := range recs {
		off += encodeRecord(b[off:], r)
	}
	return b
}

func TestSegmentRoundTrip(t *testing.T) {
	recs := []Record{
		{ID: 1, Data: []byte("hello")},
		{ID: 7 << 20, Data: bytes.Repeat([]byte{0xab}, 3000)},
		{ID: maxRecordID, Data: nil},
		{ID: 3, Data: []byte("x")},
		{ID: 4, Data: bytes.Repeat([]byte{0xcd}, MaxObject-recHeaderLen-segHeaderLen-3024)},
	}
	b := buildSegment(42, recs)
	seq, got, offs, err := DecodeSegment(b)
	if err != nil {
		t.Fatal(err)
	}
	if seq != 42 || len(got) != len(recs) {
		t.Fatalf("seq %d, %d records; want 42, %d", seq, len(got), len(recs))
	}
	for i := range recs {
		if got[i].ID != recs[i].ID || !bytes.Equal(got[i].Data, recs[i].Data) {
			t.Fatalf("record %d: %+v, want %+v", i, got[i], recs[i])
		}
		if offs[i]%recAlign != 0 {
			t.Fatalf("record %d at unaligned offset %d", i, offs[i])
		}
	}
	// The header costs 12 bytes and sizes that are multiples of 4 need
	// no padding: 100 B takes 112.
	if recordSpan(100) != 112 || recordSpan(1024) != 1036 || recordSpan(101) != 116 {
		t.Fatalf("record spans %d, %d, %d", recordSpan(100), recordSpan(1024), recordSpan(101))
	}
}

func TestSegmentCorruptionDetected(t *testing.T) {
	b := buildSegment(1, []Record{{ID: 9, Data: []byte("payload")}})
	for _, pos := range []int{0, 5, 8, 20, 28, segHeaderLen, segHeaderLen + 2, segHeaderLen + 3, segHeaderLen + 5, segHeaderLen + 9, segHeaderLen + recHeaderLen + 2, segHeaderLen + recHeaderLen + 7} {
		c := bytes.Clone(b)
		c[pos] ^= 0x40
		if _, _, _, err := DecodeSegment(c); !errors.Is(err, ErrCorrupt) {
			t.Errorf("flipping byte %d: %v, want ErrCorrupt", pos, err)
		}
	}
}

// FuzzDecodeSegment: arbitrary bytes never panic, errors wrap ErrCorrupt,
// and whatever decodes re-encodes to the same bytes.
func FuzzDecodeSegment(f *testing.F) {
	f.Add(buildSegment(1, nil)[:256])
	f.Add(buildSegment(2, []Record{{ID: 1, Data: []byte("abc")}})[:512])
	f.Add(buildSegment(3, []Record{{ID: 5, Data: bytes.Repeat([]byte{1}, 100)}, {ID: 1 << 31, Data: []byte("z")}})[:512])
	f.Add([]byte("MSSG"))
	f.Fuzz(func(t *testing.T, b []byte) {
		seq, recs, _, err := DecodeSegment(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		again := make([]byte, len(b)+recAlign) // room for the last record's padding
		segHeader{seq: seq}.encode(again)
		off := segHeaderLen
		for _, r := range recs {
			off += encodeRecord(again[off:], r)
		}
		// Compare what the decoder read: up to the last record's data.
		if !bytes.Equal(again[:min(off, len(b))], b[:min(off, len(b))]) {
			t.Fatalf("decoded segment does not re-encode to the same bytes")
		}
	})
}

func TestSlotRoundTrip(t *testing.T) {
	for _, loc := range []Location{
		{Seg: noSeg},
		{Seg: 0, Off: segHeaderLen, Len: 0},
		{Seg: 5, Off: 1000, Len: 100},
		{Seg: maxSegments - 1, Off: uint32(SegmentSize - recordSpan(MaxObject)), Len: MaxObject},
		{Seg: 1 << 20, Off: SegmentSize - recAlign, Len: 1},
	} {
		w := encodeSlot(loc)
		got, allocated, stored, err := decodeSlot(w)
		if err != nil || !allocated || stored != (loc.Seg != noSeg) || got != loc {
			t.Fatalf("%+v -> %#x -> %+v allocated %v stored %v: %v", loc, w, got, allocated, stored, err)
		}
	}
	if _, allocated, _, err := decodeSlot(0); err != nil || allocated {
		t.Fatalf("a zero slot record: allocated %v, %v", allocated, err)
	}
	for _, w := range []uint64{2, slotAlloc | 4, 1 << 62, slotStored | (MaxObject+1)<<slotLenShift, 1 << 63} {
		if _, _, _, err := decodeSlot(w); !errors.Is(err, ErrCorrupt) {
			t.Errorf("slot record %#x: %v, want ErrCorrupt", w, err)
		}
	}
}

// FuzzDecodeSlot: any 8 bytes decode to a slot that encodes back to the
// same word, or fail with ErrCorrupt.
func FuzzDecodeSlot(f *testing.F) {
	f.Add(uint64(0))
	f.Add(uint64(slotAlloc))
	f.Add(encodeSlot(Location{Seg: 3, Off: 116, Len: 100}))
	f.Add(encodeSlot(Location{Seg: maxSegments - 1, Off: SegmentSize - 4, Len: MaxObject}))
	f.Add(uint64(2))
	f.Fuzz(func(t *testing.T, w uint64) {
		loc, allocated, stored, err := decodeSlot(w)
		switch {
		case err != nil:
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error does not wrap ErrCorrupt: %v", err)
			}
		case !allocated:
			if w != 0 {
				t.Fatalf("%#x decodes as free", w)
			}
		case !stored:
			if loc.Seg != noSeg || w != slotAlloc {
				t.Fatalf("%#x decodes as allocated, not stored, at %+v", w, loc)
			}
		default:
			if encodeSlot(loc) != w || loc.Off%recAlign != 0 || loc.Len > MaxObject || loc.Seg >= maxSegments {
				t.Fatalf("%#x decodes to %+v, which encodes to %#x", w, loc, encodeSlot(loc))
			}
		}
	})
}
