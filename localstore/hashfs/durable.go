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
// little-endian. An empty slot is 16 zero bytes. Bits 48..62 of the
// block word, which hold the probe limit in memory, are stored as zeros.
func encodeEntry(b []byte, e entry) {
	e = e.stored() // the probe limit is not stored
	binary.LittleEndian.PutUint64(b[0:], e.obj)
	binary.LittleEndian.PutUint64(b[8:], e.blk)
}

// decodeEntry parses one stored slot.
func decodeEntry(b []byte) (entry, error) {
	e := entry{obj: binary.LittleEndian.Uint64(b[0:]), blk: binary.LittleEndian.Uint64(b[8:])}
	switch {
	case !e.used() && (e.obj != 0 || e.blk != 0):
		return entry{}, fmt.Errorf("%w: free slot with data", ErrCorrupt)
	case e.blk&^keyMask != 0:
		return entry{}, fmt.Errorf("%w: logical block beyond 48 bits", ErrCorrupt)
	}
	return e, nil
}

// Durable is a Table kept on the device. Its slots live in a region, one
// EntrySize record per physical block from Offset on (record i is block
// i, whatever the order in memory); every change an operation makes (the
// one slot an insertion fills or a deletion clears) is written through
// the caller's mmio transaction, so a journal commit makes a batch of
// operations durable all or none. The probe limits and the overflow map
// are derived data: they are rebuilt on load and never written. Lookups
// use the table in memory. Not safe for concurrent use.
//
//	region:  ... | block 0 | block 1 | block 2 | ... | block n-1 | ...
//	             ^ Offset    16 B each: obj u64 | block u64 (bit 63: used)
type Durable struct {
	t   *Table
	r   *mmio.Region
	off int64
	err error // set when a slot could not be written: the memory and the region disagree
}

// AreaSize is the bytes a table of n slots takes in a region.
func AreaSize(n int64) int64 { return n * EntrySize }

// LoadDurable reads a table of n slots with runs of run blocks from r at
// off (a new, zeroed area is an empty table), rebuilds the probe limits
// and the overflow map, and checks it: every record must decode, and
// every mapped key must be found by a lookup in the block it is stored
// in, which rules out a key stored twice. (Where a key sits is not
// otherwise checkable: deletions leave holes anywhere, and an overflow
// key may be in any block.)
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
			t.ents[t.index(i+j)] = e
		}
		i += c
	}
	if err := t.rebuild(); err != nil {
		return nil, err
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
	in, err := d.t.planInsert(k)
	if err != nil {
		return 0, err
	}
	p := d.t.applyInsert(in, k)
	return p, d.write(tx, in.m)
}

// Delete unmaps k, freeing its block, and writes the cleared slot through
// tx. No other block moves.
func (d *Durable) Delete(tx *mmio.Tx, k Key) error {
	if d.err != nil {
		return d.err
	}
	del, err := d.t.planDelete(k)
	if err != nil {
		return err
	}
	d.t.applyDelete(del)
	return d.write(tx, del.m)
}

// write stores the slot at memory index m (without its limit) through tx.
// A failure leaves the table in memory ahead of the region: the Durable
// refuses every later change (the caller rolls the transaction back and
// loads the table again).
func (d *Durable) write(tx *mmio.Tx, m int64) error {
	var b [EntrySize]byte
	encodeEntry(b[:], d.t.ents[m])
	p := d.t.phys(m)
	if _, err := tx.WriteAt(b[:], d.off+p*EntrySize); err != nil {
		d.err = fmt.Errorf("hashfs: writing slot %d: %w", p, err)
		return d.err
	}
	return nil
}
