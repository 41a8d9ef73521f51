package hashfs

import (
	"encoding/binary"
	"fmt"

	"mapstore/mmio"
)

// EntrySize is the on-device size of a slot.
const EntrySize = 16

// encodeEntry writes a slot as stored on the device: the object id, then
// the logical block with bit 63 set when the slot is in use, both
// little-endian. An empty slot is 16 zero bytes.
func encodeEntry(b []byte, e entry) {
	binary.LittleEndian.PutUint64(b[0:], e.obj)
	binary.LittleEndian.PutUint64(b[8:], e.blk)
}

// decodeEntry parses one stored slot.
func decodeEntry(b []byte) (entry, error) {
	e := entry{obj: binary.LittleEndian.Uint64(b[0:]), blk: binary.LittleEndian.Uint64(b[8:])}
	switch {
	case !e.used() && (e.obj != 0 || e.blk != 0):
		return entry{}, fmt.Errorf("%w: free slot with data", ErrCorrupt)
	case e.used() && e.blk&^usedBit > MaxBlock:
		return entry{}, fmt.Errorf("%w: logical block beyond 48 bits", ErrCorrupt)
	}
	return e, nil
}

// Durable is a Table kept on the device. Its slots live in a region, one
// EntrySize record per slot from Offset on; every change an operation
// makes (the slot it fills, or the hole and the slides of a deletion) is
// written through the caller's mmio transaction, so a journal commit makes
// a batch of operations durable all or none. Lookups use the table in
// memory. Not safe for concurrent use.
//
//	region:  ... | slot 0 | slot 1 | slot 2 | ... | slot n-1 | ...
//	             ^ Offset   16 B each: obj u64 | block u64 (bit 63: used)
type Durable struct {
	t   *Table
	r   *mmio.Region
	off int64
	err error // set when a slot could not be written: the memory and the region disagree
}

// AreaSize is the bytes a table of n slots takes in a region.
func AreaSize(n int64) int64 { return n * EntrySize }

// LoadDurable reads a table of n slots with runs of run blocks from r at
// off (a new, zeroed area is an empty table) and checks it: every mapped
// key must be found where it is stored, which also rules out a key stored
// twice.
func LoadDurable(r *mmio.Region, off, n int64, run int) (*Durable, error) {
	t, err := New(n, run)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 64<<10)
	for i := int64(0); i < n; {
		c := min(int64(len(buf)/EntrySize), n-i)
		if _, err := r.ReadAt(buf[:c*EntrySize], off+i*EntrySize); err != nil {
			return nil, fmt.Errorf("hashfs: reading slots [%d, %d): %w", i, i+c, err)
		}
		for j := int64(0); j < c; j++ {
			e, err := decodeEntry(buf[j*EntrySize:])
			if err != nil {
				return nil, fmt.Errorf("slot %d: %w", i+j, err)
			}
			if e.used() {
				t.slots[i+j] = e
				t.used++
			}
		}
		i += c
	}
	for i := int64(0); i < n; i++ {
		k, used := t.At(i)
		if !used {
			continue
		}
		if at, ok := t.Lookup(k); !ok || at != i {
			return nil, fmt.Errorf("%w: object %d block %d in slot %d is not where a lookup finds it", ErrCorrupt, k.Obj, k.Block, i)
		}
	}
	return &Durable{t: t, r: r, off: off}, nil
}

// Table returns the table in memory, for lookups and inspection. It must
// not be changed except through Durable.
func (d *Durable) Table() *Table { return d.t }

// Lookup returns the slot (physical block) of k.
func (d *Durable) Lookup(k Key) (int64, bool) { return d.t.Lookup(k) }

// Insert maps k, allocating its block, and writes the slot through tx.
func (d *Durable) Insert(tx *mmio.Tx, k Key) (int64, error) {
	if d.err != nil {
		return 0, d.err
	}
	i, err := d.t.freeSlotFor(k)
	if err != nil {
		return i, err
	}
	return i, d.insertAt(tx, i, k)
}

// insertAt puts k in slot i, which freeSlotFor(k) returned, and writes it.
func (d *Durable) insertAt(tx *mmio.Tx, i int64, k Key) error {
	d.t.place(i, k)
	return d.write(tx, i)
}

// Delete unmaps k and writes every slot that changed through tx. The moves
// are the block relocations the caller must carry out (copying each block
// before the transaction commits, so that the committed mapping never
// points at data that is not there).
func (d *Durable) Delete(tx *mmio.Tx, k Key) ([]Move, error) {
	if d.err != nil {
		return nil, d.err
	}
	hole, moves, err := d.t.plan(k)
	if err != nil {
		return nil, err
	}
	return moves, d.applyDelete(tx, hole, moves)
}

// applyDelete carries out a planned deletion and writes every slot it
// changes (the hole, and each slide's source) through tx.
func (d *Durable) applyDelete(tx *mmio.Tx, hole int64, moves []Move) error {
	d.t.apply(hole, moves)
	if err := d.write(tx, hole); err != nil {
		return err
	}
	for _, m := range moves {
		if err := d.write(tx, m.From); err != nil {
			return err
		}
	}
	return nil
}

// write stores slot i's current contents through tx. A failure leaves the
// table in memory ahead of the region: the Durable refuses every later
// change (the caller rolls the transaction back and loads the table again).
func (d *Durable) write(tx *mmio.Tx, i int64) error {
	var b [EntrySize]byte
	encodeEntry(b[:], d.t.slots[i])
	if _, err := tx.WriteAt(b[:], d.off+i*EntrySize); err != nil {
		d.err = fmt.Errorf("hashfs: writing slot %d: %w", i, err)
		return d.err
	}
	return nil
}
