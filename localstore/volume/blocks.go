package volume

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"

	"mapstore/localstore/hashfs"
	"mapstore/mmio"
)

// blockOff is where data block b sits on the device.
func (v *Volume) blockOff(b int64) int64 { return v.sb.dataOff + b*BlockSize }

// WriteBlocks allocates logical blocks [first, first+n) of object obj,
// where n is len(data) in blocks (the last one zero-padded), and writes
// data into them. The mapping is written through tx; the data goes
// straight to the device, into blocks no committed state refers to, and
// Commit syncs it before the mapping becomes durable. Blocks are written
// once: a block already mapped fails with ErrBlockMapped.
//
// Physically consecutive blocks are written with one write each run.
func (v *Volume) WriteBlocks(tx *mmio.Tx, obj, first uint64, data []byte) error {
	if v.err != nil {
		return v.err
	}
	if obj < FirstObject {
		return fmt.Errorf("%w: %d", ErrReservedObject, obj)
	}
	n := (len(data) + BlockSize - 1) / BlockSize
	phys := make([]int64, n)
	for i := range phys {
		k := hashfs.Key{Obj: obj, Block: first + uint64(i)}
		b, err := v.tr.Insert(tx, k)
		if err != nil {
			return v.undoInserts(tx, obj, first, i, err)
		}
		phys[i] = b
	}
	for i := 0; i < n; {
		j := i + 1
		for j < n && phys[j] == phys[j-1]+1 {
			j++
		}
		chunk := data[i*BlockSize : min(j*BlockSize, len(data))]
		if rem := len(chunk) % BlockSize; rem != 0 {
			padded := make([]byte, len(chunk)+BlockSize-rem)
			copy(padded, chunk)
			chunk = padded
		}
		if _, err := v.dev.WriteAt(chunk, v.blockOff(phys[i])); err != nil {
			return v.fail(fmt.Errorf("volume: writing blocks of object %d: %w", obj, err))
		}
		v.dataDirty = true
		i = j
	}
	return nil
}

// undoInserts handles a failed Insert of block first+i: a refusal (the
// block is mapped already, or the device is full) unmaps the i blocks this
// call mapped, which nothing else refers to yet, and leaves the batch
// usable; any other failure is the volume's.
func (v *Volume) undoInserts(tx *mmio.Tx, obj, first uint64, i int, err error) error {
	if !errors.Is(err, hashfs.ErrExists) && !errors.Is(err, hashfs.ErrFull) && !errors.Is(err, hashfs.ErrBlockRange) {
		return v.fail(err)
	}
	for u := range i {
		if derr := v.tr.Delete(tx, hashfs.Key{Obj: obj, Block: first + uint64(u)}); derr != nil {
			return v.fail(fmt.Errorf("volume: undoing a refused write: %w", derr))
		}
	}
	if errors.Is(err, hashfs.ErrExists) {
		return fmt.Errorf("%w: object %d block %d", ErrBlockMapped, obj, first+uint64(i))
	}
	return fmt.Errorf("volume: object %d block %d: %w", obj, first+uint64(i), err)
}

// ReadBlocks reads logical blocks of object obj from block first on into
// p (a whole number of blocks, or fewer bytes of the last one). It reads
// each physically contiguous range of the device with one vectored read,
// whatever the logical order of its parts: a run whose rotation wraps
// within its group is two extents but one read. The caller keeps the
// blocks alive meanwhile: nothing frees them while it reads.
func (v *Volume) ReadBlocks(obj, first uint64, p []byte) error {
	n := (len(p) + BlockSize - 1) / BlockSize
	ext := v.tr.Extents(obj, first, uint64(n))
	mapped := int64(0)
	for _, e := range ext {
		mapped += e.Len
	}
	if mapped != int64(n) {
		next := first
		for _, e := range ext {
			if e.Logical != next {
				break
			}
			next += uint64(e.Len)
		}
		return fmt.Errorf("%w: object %d block %d", ErrNotMapped, obj, next)
	}
	slices.SortFunc(ext, func(a, b hashfs.Extent) int { return cmp.Compare(a.Block, b.Block) })
	type read struct {
		bufs [][]byte
		off  int64
	}
	var reads []read
	for i := 0; i < len(ext); {
		var bufs [][]byte
		j := i
		for ; j < len(ext) && (j == i || ext[j].Block == ext[j-1].Block+ext[j-1].Len); j++ {
			lo := int(ext[j].Logical-first) * BlockSize
			hi := lo + int(ext[j].Len)*BlockSize
			bufs = append(bufs, p[lo:min(hi, len(p))])
			if hi > len(p) { // a partial last block ends the read
				j++
				break
			}
		}
		reads = append(reads, read{bufs, v.blockOff(ext[i].Block)})
		i = j
	}
	// The ranges are scattered over the device: keep up to readDepth of
	// them in flight, as readahead does for a sequential file.
	if len(reads) == 1 { // a small read: no goroutine
		if _, err := v.dev.ReadV(reads[0].bufs, reads[0].off); err != nil {
			return fmt.Errorf("volume: reading object %d: %w", obj, err)
		}
		return nil
	}
	errs := make([]error, len(reads))
	var wg sync.WaitGroup
	sem := make(chan struct{}, readDepth)
	for i, r := range reads {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := v.dev.ReadV(r.bufs, r.off); err != nil {
				errs[i] = fmt.Errorf("volume: reading object %d: %w", obj, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// readDepth is how many device reads one ReadBlocks keeps in flight.
const readDepth = 4

// FreeBlocks frees logical blocks [first, first+n) of object obj with the
// batch: they stay allocated, and readable, until Commit, so nothing in
// this batch can be written over them.
func (v *Volume) FreeBlocks(obj, first, n uint64) error {
	if v.err != nil {
		return v.err
	}
	if obj < FirstObject {
		return fmt.Errorf("%w: %d", ErrReservedObject, obj)
	}
	for i := range n {
		k := hashfs.Key{Obj: obj, Block: first + i}
		if _, ok := v.tr.Lookup(k); !ok {
			return fmt.Errorf("%w: object %d block %d", ErrNotMapped, obj, k.Block)
		}
		v.pendingFree = append(v.pendingFree, k)
	}
	return nil
}

// fail records err as the volume's failure: memory may now be ahead of
// the device, so every later change is refused.
func (v *Volume) fail(err error) error {
	if v.err == nil {
		v.err = err
	}
	return err
}

// EachBlock calls fn with every logical block of the layer above's
// objects (ids FirstObject and up) that has a data block, in the order of
// the device's blocks. A store calls it when it opens, to find blocks no
// committed record refers to any more (an object deleted while a reader
// still held it, a body whose upload never finished) and free them. Only
// the goroutine that changes the volume may call it.
func (v *Volume) EachBlock(fn func(obj, block uint64)) {
	for i := range v.table.Slots() {
		if k, ok := v.table.At(i); ok && k.Obj >= FirstObject {
			fn(k.Obj, k.Block)
		}
	}
}
