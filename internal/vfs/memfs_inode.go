package vfs

import (
	"io"
	"math/bits"
	"sync"
)

const (
	// blockSize is the unit in which MemFS tracks unsynced data.
	blockSize = 4096
	// sectorSize is the unit in which a torn write keeps old or new data.
	sectorSize = 512
)

// block is one blockSize piece of a file. A nil *block reads as zeros.
type block [blockSize]byte

// memInode is the content of a MemFS file: its current data and its synced
// (durable) data.
//
// Blocks are copy-on-write. A block referenced by synced, or by another
// MemFS made by CrashClone, is never written in place; a block is private to
// data, and writable, exactly when its bit in dirty is set and it is not
// nil. So Sync copies pointers, not bytes, and a clone shares every block.
//
// Invariants, under mu:
//   - for every block b not in dirty, data[b] == synced[b] (a missing entry
//     counts as nil): dirty is the set of blocks changed since the last sync;
//   - bytes at or past size in data, and past syncedSize in synced, are zero;
//   - len(data) <= ceil(size/blockSize).
type memInode struct {
	mu         sync.Mutex
	data       []*block
	size       int64
	synced     []*block
	syncedSize int64
	dirty      bitset

	// last is the most recent write since the last sync, if any.
	last lastWrite
}

// lastWrite describes one write. seq orders writes across a MemFS; zero
// means there is none.
type lastWrite struct {
	off, n int64
	seq    uint64
}

// blockAt returns block b of blocks, nil if it is out of range.
func blockAt(blocks []*block, b int64) *block {
	if b < int64(len(blocks)) {
		return blocks[b]
	}
	return nil
}

// readBlocks fills p with the bytes at off of blocks, zeros where missing.
func readBlocks(blocks []*block, p []byte, off int64) {
	for len(p) > 0 {
		b, o := off/blockSize, off%blockSize
		var c int
		if blk := blockAt(blocks, b); blk != nil {
			c = copy(p, blk[o:])
		} else {
			c = min(len(p), int(blockSize-o))
			clear(p[:c])
		}
		p = p[c:]
		off += int64(c)
	}
}

// writable returns block b of data ready to be changed in place, copying
// it first if it may be shared.
func (n *memInode) writable(b int64) *block {
	for int64(len(n.data)) <= b {
		n.data = append(n.data, nil)
	}
	if blk := n.data[b]; blk != nil && n.dirty.has(b) {
		return blk
	}
	blk := new(block)
	if old := n.data[b]; old != nil {
		*blk = *old
	}
	n.data[b] = blk
	n.dirty.set(b)
	return blk
}

func (n *memInode) readAt(p []byte, off int64) (int, error) {
	if off >= n.size {
		return 0, io.EOF
	}
	c := int(min(int64(len(p)), n.size-off))
	readBlocks(n.data, p[:c], off)
	if c < len(p) {
		return c, io.EOF
	}
	return c, nil
}

// writeAt writes p at off, extending the file with zeros if needed. It does
// not record the write in last; the caller does, once per File call.
func (n *memInode) writeAt(p []byte, off int64) {
	if end := off + int64(len(p)); end > n.size {
		n.setSize(end)
	}
	for len(p) > 0 {
		b, o := off/blockSize, off%blockSize
		c := copy(n.writable(b)[o:], p)
		p = p[c:]
		off += int64(c)
	}
}

// setSize truncates or extends the file. Extending needs no work, since
// bytes past the size are zero; shrinking zeroes the tail of the new last
// block and drops the blocks after it.
func (n *memInode) setSize(size int64) {
	if size < n.size {
		if o := size % blockSize; o != 0 && blockAt(n.data, size/blockSize) != nil {
			clear(n.writable(size / blockSize)[o:])
		}
		keep := (size + blockSize - 1) / blockSize
		for b := keep; b < int64(len(n.data)); b++ {
			if n.data[b] != nil {
				n.data[b] = nil
				n.dirty.set(b)
			}
		}
		n.data = n.data[:min(keep, int64(len(n.data)))]
	}
	n.size = size
}

// sync makes the current data and size durable.
func (n *memInode) sync() {
	for len(n.synced) < len(n.data) {
		n.synced = append(n.synced, nil)
	}
	n.dirty.each(func(b int64) {
		if b < int64(len(n.synced)) {
			n.synced[b] = blockAt(n.data, b)
		}
	})
	clear(n.synced[len(n.data):]) // already nil; cleared so nothing leaks
	n.synced = n.synced[:len(n.data)]
	n.syncedSize = n.size
	n.dirty.reset()
	n.last = lastWrite{}
}

// bitset is a growable set of block numbers.
type bitset []uint64

func (s *bitset) set(i int64) {
	w := int(i / 64)
	for len(*s) <= w {
		*s = append(*s, 0)
	}
	(*s)[w] |= 1 << (i % 64)
}

func (s bitset) has(i int64) bool {
	w := int(i / 64)
	return w < len(s) && s[w]&(1<<(i%64)) != 0
}

// each calls fn for every member, in increasing order.
func (s bitset) each(fn func(i int64)) {
	for w, word := range s {
		for word != 0 {
			t := bits.TrailingZeros64(word)
			fn(int64(w*64 + t))
			word &^= 1 << t
		}
	}
}

func (s *bitset) reset() { *s = (*s)[:0] }
