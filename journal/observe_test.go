package journal_test

import (
	"sync"
	"testing"
	"time"

	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/mmio"
)

// TestObserveCommit: Options.ObserveCommit is called once per durable
// commit with its duration and the bytes its record took (a 32-byte
// header, 16 bytes per entry, the data and a 16-byte commit mark, padded
// to 512), and not for a transaction with nothing to write.
func TestObserveCommit(t *testing.T) {
	type call struct {
		d     time.Duration
		bytes int
	}
	var mu sync.Mutex
	var calls []call
	mem := vfs.NewMem()
	createDevice(t, mem, "/")
	g, err := openRig(mem, "/", false, mmio.Options{}, journal.Options{
		ObserveCommit: func(d time.Duration, bytes int) {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, call{d, bytes})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	page := make([]byte, mmio.PageSize)
	for _, cs := range [][]change{
		{{off: 100, data: []byte("small")}}, // one 5-byte range: 69 bytes
		nil,                                 // nothing to write
		{{off: mmio.PageSize, data: page}},  // one whole page: 4160 bytes
	} {
		if err := g.commit(cs); err != nil {
			t.Fatal(err)
		}
	}
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2: %+v", len(calls), calls)
	}
	for i, want := range []int{512, 4608} {
		if calls[i].bytes != want || calls[i].d <= 0 {
			t.Errorf("call %d: %+v, want %d bytes and a duration", i, calls[i], want)
		}
	}
}
