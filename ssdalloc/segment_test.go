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
		{Table: 1, Slot: 2, Data: []byte("hello")},
		{Table: 7, Slot: 9999, Data: bytes.Repeat([]byte{0xab}, 3000)},
		{Table: 0, Slot: 0, Data: nil},
		{Table: 3, Slot: 4, Data: []byte("x")},
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
		if got[i].Table != recs[i].Table || got[i].Slot != recs[i].Slot || !bytes.Equal(got[i].Data, recs[i].Data) {
			t.Fatalf("record %d: %+v, want %+v", i, got[i], recs[i])
		}
		if offs[i]%recAlign != 0 {
			t.Fatalf("record %d at unaligned offset %d", i, offs[i])
		}
	}
}

func TestSegmentCorruptionDetected(t *testing.T) {
	b := buildSegment(1, []Record{{Table: 1, Slot: 1, Data: []byte("payload")}})
	for _, pos := range []int{0, 8, 28, segHeaderLen + 4, segHeaderLen + 9, segHeaderLen + 17, segHeaderLen + recHeaderLen + 2} {
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
	f.Add(buildSegment(2, []Record{{Table: 1, Slot: 2, Data: []byte("abc")}})[:512])
	f.Add(buildSegment(3, []Record{{Table: 5, Slot: 6, Data: bytes.Repeat([]byte{1}, 100)}, {Table: 1, Data: []byte("z")}})[:512])
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
