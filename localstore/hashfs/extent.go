package hashfs

import (
	"fmt"
	"slices"
	"sort"
)

// extent maps length consecutive logical blocks of an object, from start,
// to as many consecutive physical blocks, from phys.
type extent struct {
	start  uint64 // first logical block
	phys   int64  // its physical block
	length int64
}

func (e extent) end() uint64 { return e.start + uint64(e.length) }

// ExtentTree is the conventional baseline: a per-object index of extents,
// as local file systems keep per file, plus a separate free-space bitmap.
//
// Each object's extents sit in a slice sorted by logical start, searched
// by binary search (the leaf level of an extent tree, without the inner
// nodes); objects are found through a Go map. Extents of one object never
// overlap, and two extents that touch both logically and physically are
// always merged into one.
//
// Inserting block b first tries to grow an extent: the one ending at b-1
// if the physical block after it is free, else the one starting at b+1 if
// the physical block before it is free. Otherwise b gets a block from the
// bitmap's rotating cursor (next fit) and an extent of its own, merged
// with a neighbour if the block happens to be adjacent. Deleting a block
// trims its extent or splits it in two.
//
// ExtentTree does no I/O and no locking, and never relocates a block.
type ExtentTree struct {
	objs  map[uint64][]extent
	space *bitmap
	used  int64
}

// NewExtentTree returns an empty extent index for a device of nblocks
// blocks.
func NewExtentTree(nblocks int64) (*ExtentTree, error) {
	if nblocks <= 0 {
		return nil, fmt.Errorf("hashfs: extent tree for %d blocks", nblocks)
	}
	return &ExtentTree{objs: map[uint64][]extent{}, space: newBitmap(nblocks)}, nil
}

// Len returns the number of mapped blocks.
func (t *ExtentTree) Len() int64 { return t.used }

// Slots returns the number of physical blocks.
func (t *ExtentTree) Slots() int64 { return t.space.n }

// Extents returns the number of extents of object obj: 1 for an object
// whose blocks are all logically and physically contiguous.
func (t *ExtentTree) Extents(obj uint64) int { return len(t.objs[obj]) }

// extentSearch returns the index of the first extent of exts starting after
// block b; the extent before it, if any, is the only one that may hold b.
func extentSearch(exts []extent, b uint64) int {
	return sort.Search(len(exts), func(i int) bool { return exts[i].start > b })
}

// Lookup returns the physical block of k.
func (t *ExtentTree) Lookup(k Key) (int64, bool) {
	exts := t.objs[k.Obj]
	i := extentSearch(exts, k.Block)
	if i == 0 || exts[i-1].end() <= k.Block {
		return 0, false
	}
	e := exts[i-1]
	return e.phys + int64(k.Block-e.start), true
}

// Insert maps k to a newly allocated physical block and returns it.
func (t *ExtentTree) Insert(k Key) (int64, error) {
	if k.Block > MaxBlock {
		return 0, fmt.Errorf("%w: %d", ErrBlockRange, k.Block)
	}
	exts := t.objs[k.Obj]
	i := extentSearch(exts, k.Block)
	if i > 0 && exts[i-1].end() > k.Block {
		return 0, fmt.Errorf("%w: object %d block %d", ErrExists, k.Obj, k.Block)
	}
	if t.space.used == t.space.n {
		return 0, ErrFull
	}
	// exts[i-1] (if any) ends at or before k.Block; exts[i] (if any)
	// starts after it.
	hasPrev := i > 0 && exts[i-1].end() == k.Block
	hasNext := i < len(exts) && exts[i].start == k.Block+1
	var p int64
	switch {
	case hasPrev && t.space.tryAlloc(exts[i-1].phys+exts[i-1].length):
		p = exts[i-1].phys + exts[i-1].length
		exts[i-1].length++
		i-- // the extent that now holds k
	case hasNext && t.space.tryAlloc(exts[i].phys-1):
		p = exts[i].phys - 1
		exts[i].start--
		exts[i].phys--
		exts[i].length++
	default:
		p, _ = t.space.alloc()
		exts = slices.Insert(exts, i, extent{start: k.Block, phys: p, length: 1})
	}
	// The extent at i holds k; it may now touch a neighbour on either
	// side both logically and physically.
	if i+1 < len(exts) && touches(exts[i], exts[i+1]) {
		exts[i].length += exts[i+1].length
		exts = slices.Delete(exts, i+1, i+2)
	}
	if i > 0 && touches(exts[i-1], exts[i]) {
		exts[i-1].length += exts[i].length
		exts = slices.Delete(exts, i, i+1)
	}
	t.objs[k.Obj] = exts
	t.used++
	return p, nil
}

// touches reports whether b continues a both logically and physically.
func touches(a, b extent) bool {
	return a.end() == b.start && a.phys+a.length == b.phys
}

// Delete unmaps k and frees its block, trimming or splitting its extent.
// It never moves a block.
func (t *ExtentTree) Delete(k Key) error {
	exts := t.objs[k.Obj]
	i := extentSearch(exts, k.Block) - 1
	if i < 0 || exts[i].end() <= k.Block {
		return fmt.Errorf("%w: object %d block %d", ErrNotFound, k.Obj, k.Block)
	}
	e := exts[i]
	off := int64(k.Block - e.start)
	t.space.free(e.phys + off)
	switch {
	case e.length == 1:
		exts = slices.Delete(exts, i, i+1)
	case off == 0:
		exts[i] = extent{start: e.start + 1, phys: e.phys + 1, length: e.length - 1}
	case off == e.length-1:
		exts[i].length--
	default:
		exts[i].length = off
		tail := extent{start: k.Block + 1, phys: e.phys + off + 1, length: e.length - off - 1}
		exts = slices.Insert(exts, i+1, tail)
	}
	if len(exts) == 0 {
		delete(t.objs, k.Obj)
	} else {
		t.objs[k.Obj] = exts
	}
	t.used--
	return nil
}
