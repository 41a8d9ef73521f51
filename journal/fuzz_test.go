package journal

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var rewriteCorpus = flag.Bool("rewrite", false, "rewrite the fuzz seed corpus in testdata")

// encodeRecord builds a record the way Commit does.
func encodeRecord(lsn uint64, changes []Change) []byte {
	entries := make([]entry, len(changes))
	data := make([][]byte, len(changes))
	var n int64
	for i, c := range changes {
		entries[i] = entry{off: c.Off, n: uint32(len(c.Data))}
		data[i] = c.Data
		n += int64(len(c.Data))
	}
	size := recordSize(len(entries), n)
	head := encodeRecordHead(lsn, entries, size)
	var b bytes.Buffer
	b.Write(head)
	for _, d := range data {
		b.Write(d)
	}
	b.Write(encodeTrailer(lsn, head, bodyCRC(entries, data), size))
	return b.Bytes()
}

func seedRecords() map[string][]byte {
	page := bytes.Repeat([]byte("mapstore"), 512)
	valid := encodeRecord(7, []Change{{Off: 4096, Data: page}, {Off: 0, Data: []byte("hello")}})
	torn := bytes.Clone(valid)
	copy(torn[len(torn)-600:], make([]byte, 512))
	flipped := bytes.Clone(valid)
	flipped[100] ^= 1
	return map[string][]byte{
		"empty":        encodeRecord(1, nil),
		"one-page":     encodeRecord(2, []Change{{Off: 8192, Data: page}}),
		"two-changes":  valid,
		"torn-sector":  torn,
		"flipped-bit":  flipped,
		"header-only":  valid[:recHeaderLen],
		"zeros":        make([]byte, 1024),
		"big-count":    encodeRecordHead(3, make([]entry, 3), 1<<20),
		"small-change": encodeRecord(9, []Change{{Off: 12345, Data: []byte{1}}}),
	}
}

// TestWriteFuzzCorpus regenerates testdata/fuzz/FuzzDecodeRecord with
// -rewrite; otherwise it checks that the corpus is there.
func TestWriteFuzzCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeRecord")
	if !*rewriteCorpus {
		if ents, err := os.ReadDir(dir); err != nil || len(ents) == 0 {
			t.Fatalf("seed corpus missing in %s (run with -rewrite): %v", dir, err)
		}
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seedRecords() {
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzDecodeRecord feeds arbitrary bytes to the decoder recovery uses. It
// must never panic, must reject anything that is not a whole valid record
// with an error wrapping ErrCorrupt, and whatever it accepts must encode
// back to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	for _, b := range seedRecords() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		lsn, changes, err := DecodeRecord(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		var n int64
		for _, c := range changes {
			n += int64(len(c.Data))
		}
		// Compare without the padding, which the decoder does not read.
		again := encodeRecord(lsn, changes)[:recordSize(len(changes), n)]
		if len(again) > len(b) || !bytes.Equal(again, b[:len(again)]) {
			t.Fatalf("accepted record does not re-encode to the same bytes")
		}
	})
}
