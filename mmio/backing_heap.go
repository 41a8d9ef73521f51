package mmio

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"mapstore/internal/vfs"
)

// heapBacking keeps the region in a heap buffer filled from the file page
// by page on first access, through the vfs File. It needs no mmap, so the
// whole stack runs on the in-memory crash FS and under error injection.
//
// Unlike a mapping, a loaded page stays loaded: dropping a page that
// matches the file is free, and dropping one that does not (a rollback)
// reads it back from the file.
type heapBacking struct {
	f      vfs.File
	off    int64
	data   []byte
	mu     sync.Mutex      // serializes loads
	loaded []atomic.Uint64 // bit per page
}

func newHeapBacking(f vfs.File, off, size int64) *heapBacking {
	n := size / PageSize
	return &heapBacking{
		f:      f,
		off:    off,
		data:   make([]byte, size),
		loaded: make([]atomic.Uint64, (n+63)/64),
	}
}

func (h *heapBacking) isLoaded(pg int64) bool {
	return h.loaded[pg/64].Load()&(1<<(pg%64)) != 0
}

func (h *heapBacking) setLoaded(pg int64, v bool) {
	w := &h.loaded[pg/64]
	for {
		old := w.Load()
		nw := old | 1<<(pg%64)
		if !v {
			nw = old &^ (1 << (pg % 64))
		}
		if w.CompareAndSwap(old, nw) {
			return
		}
	}
}

// load reads the not yet loaded pages of [pg, pg+n) from the file.
func (h *heapBacking) load(pg, n int64) error {
	end := pg + n
	for ; pg < end; pg++ {
		if h.isLoaded(pg) {
			continue
		}
		h.mu.Lock()
		if !h.isLoaded(pg) {
			buf := h.data[pg*PageSize : (pg+1)*PageSize]
			if _, err := h.f.ReadAt(buf, h.off+pg*PageSize); err != nil {
				h.mu.Unlock()
				return fmt.Errorf("%w: loading page %d of %s: %w", ErrFault, pg, h.f.Name(), err)
			}
			h.setLoaded(pg, true)
		}
		h.mu.Unlock()
	}
	return nil
}

func (h *heapBacking) bytes(pg, n int64) ([]byte, error) {
	if err := h.load(pg, n); err != nil {
		return nil, err
	}
	return h.data[pg*PageSize : (pg+n)*PageSize], nil
}

func (h *heapBacking) drop(pg, n int64, revert bool) error {
	// Reclaim only drops pages whose memory equals the file, so there is
	// nothing to do for them; a rollback must see the file's bytes again.
	// The next access reads the file again.
	if revert {
		for i := pg; i < pg+n; i++ {
			h.setLoaded(i, false)
		}
	}
	return nil
}

func (h *heapBacking) prefetch(ctx context.Context, pg, n int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return h.load(pg, n)
}

func (h *heapBacking) resident(pg, n int64, out []bool) error {
	for i := int64(0); i < n; i++ {
		out[i] = h.isLoaded(pg + i)
	}
	return nil
}

func (h *heapBacking) close() error {
	h.data = nil
	return nil
}
