package hashfs

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecodeEntry feeds arbitrary bytes to the slot decoder LoadDurable
// uses: it must not panic, must reject with ErrCorrupt what it refuses,
// and what it accepts must encode back to the same bytes.
func FuzzDecodeEntry(f *testing.F) {
	var b [EntrySize]byte
	f.Add(b[:])
	encodeEntry(b[:], mkEntry(Key{Obj: 7, Block: 42}))
	f.Add(bytes.Clone(b[:]))
	encodeEntry(b[:], mkEntry(Key{Obj: ^uint64(0), Block: MaxBlock}))
	f.Add(bytes.Clone(b[:]))
	f.Add([]byte("0123456789abcdef"))
	// An entry as it is in memory, with a probe limit: encoded without it.
	e := mkEntry(Key{Obj: 3, Block: 9})
	e.blk |= 77 << limitShift
	encodeEntry(b[:], e)
	if got, err := decodeEntry(b[:]); err != nil || got != mkEntry(Key{Obj: 3, Block: 9}) {
		f.Fatalf("entry with a limit encodes to %v, %v", got, err)
	}
	f.Add(bytes.Clone(b[:]))
	b[14] = 1 // limit bits on the device
	f.Add(bytes.Clone(b[:]))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < EntrySize {
			return
		}
		e, err := decodeEntry(in)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		var out [EntrySize]byte
		encodeEntry(out[:], e)
		if !bytes.Equal(out[:], in[:EntrySize]) {
			t.Fatalf("accepted slot does not re-encode to the same bytes")
		}
		if e.blk&^keyMask != 0 || (!e.used() && e != entry{}) {
			t.Fatalf("accepted bits beyond the key, or a free slot with data")
		}
	})
}
