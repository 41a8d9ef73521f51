package volume

import (
	"errors"
	"testing"
)

func TestSuperblockRoundTrip(t *testing.T) {
	for _, size := range []int64{2 << 20, 64 << 20, 1<<30 + 12345} {
		sb, err := fit(size, DefaultRun)
		if err != nil {
			t.Fatal(err)
		}
		if end := sb.dataOff + sb.blocks*BlockSize; end > size {
			t.Fatalf("size %d: layout ends at %d", size, end)
		}
		// The next larger layout must not fit: fit takes the largest.
		if bigger, err := layout(sb.blocks+DefaultRun, (sb.blocks+DefaultRun)*SlotsPerBlock, DefaultRun); err == nil &&
			bigger.dataOff+bigger.blocks*BlockSize <= size {
			t.Fatalf("size %d: %d blocks chosen but %d fit", size, sb.blocks, bigger.blocks)
		}
		sb.uuid[3], sb.created = 7, 99
		got, err := decodeSuperblock(sb.encode(), size)
		if err != nil {
			t.Fatal(err)
		}
		if *got != *sb {
			t.Fatalf("round trip: got %+v, want %+v", got, sb)
		}
	}
}

func TestSuperblockRejects(t *testing.T) {
	sb, err := fit(4<<20, DefaultRun)
	if err != nil {
		t.Fatal(err)
	}
	good := sb.encode()
	cases := map[string]struct {
		b    func() []byte
		size int64
		want error
	}{
		"zeros":         {func() []byte { return make([]byte, BlockSize) }, 4 << 20, ErrNotFormatted},
		"flipped bit":   {func() []byte { b := clone(good); b[30] ^= 1; return b }, 4 << 20, ErrCorrupt},
		"short":         {func() []byte { return good[:40] }, 4 << 20, ErrCorrupt},
		"device shrank": {func() []byte { return good }, 2 << 20, ErrCorrupt},
		"bad geometry": {func() []byte {
			s := *sb
			s.dataOff += BlockSize
			return s.encode()
		}, 4 << 20, ErrCorrupt},
	}
	for name, c := range cases {
		if _, err := decodeSuperblock(c.b(), c.size); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

func FuzzDecodeSuperblock(f *testing.F) {
	sb, err := fit(8<<20, 32)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sb.encode()[:superLen], int64(8<<20))
	f.Add(make([]byte, superLen), int64(1<<20))
	f.Fuzz(func(t *testing.T, b []byte, size int64) {
		s, err := decodeSuperblock(b, size)
		if err != nil {
			return
		}
		if s.dataOff+s.blocks*BlockSize > size || s.tableOff != BlockSize {
			t.Fatalf("accepted a geometry that does not fit: %+v in %d", s, size)
		}
		again, err := decodeSuperblock(s.encode(), size)
		if err != nil || *again != *s {
			t.Fatalf("re-encoding an accepted superblock: %v", err)
		}
	})
}
