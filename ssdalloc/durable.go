package ssdalloc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/mmio"
)

// On-device layout of a durable allocator, inside an mmio region:
//
//	meta:      directory: MaxTables records of 16 B, one per object table in creation order
//	           +--------+--------+--------+--------+
//	           | class  | used=1 | slots  | base   |
//	           | u16    | u16    | u32    | u64    |
//	           +--------+--------+--------+--------+
//	           slots: each table's slot records, tables back to back in creation order
//	           +--------+--------+--------+--------+
//	           | seg    | off    | len    | state  |   state: 0 free, 1 allocated, 3 allocated and stored
//	           | u32    | u32    | u32    | u32    |
//	           +--------+--------+--------+--------+
//	segments:  nseg segments of SegmentSize (see the package comment)
const (
	// MaxTables bounds the object tables of a durable allocator.
	MaxTables    = 1024
	dirLen       = MaxTables * 16
	slotRecLen   = 16
	stateAlloc   = 1
	stateStored  = 3
	dirRecordLen = 16
)

// DurableAllocator is an Allocator kept on the device: its tables in a
// metadata area of an mmio region, written through the caller's
// transaction, and its objects' records in a segment area of the same
// file, written straight to the device: a record goes into space no
// committed table points at, so it needs no journal, and each object byte
// is written once. Commit orders the two: it syncs the records, then
// commits the tables that point at them, so one commit makes a batch of
// allocations, stores, frees and relocations durable all or none. A
// segment emptied by a batch is reused only after that batch is durable.
// Not safe for concurrent use.
type DurableAllocator struct {
	a       *Allocator
	r       *mmio.Region
	dev     vfs.File // the region's file: segments are read and written here directly
	metaOff int64
	slotCap int64 // slot records the metadata area holds
	segOff  int64 // in the region
	nseg    int
	seq     uint64
	dirty   bool  // records written to the device since the last Commit
	err     error // a failed write: memory is ahead of the device
}

// MetaSize is the metadata area a durable allocator needs for up to
// slots object slots in all.
func MetaSize(slots int64) int64 { return dirLen + slots*slotRecLen }

// LoadAllocator opens the allocator whose metadata area is
// [metaOff, metaOff+metaSize) of r and whose nseg segments start at segOff
// (a zeroed area is an empty allocator). It checks what it reads: tables
// in creation order with the bases allocation gives them, locations inside
// their segments, and no two live records overlapping.
func LoadAllocator(r *mmio.Region, metaOff, metaSize, segOff int64, nseg int) (*DurableAllocator, error) {
	if metaSize < dirLen {
		return nil, fmt.Errorf("ssdalloc: metadata area of %d bytes is smaller than the directory (%d)", metaSize, dirLen)
	}
	d := &DurableAllocator{
		a:       NewAllocator(nseg),
		r:       r,
		dev:     r.File(),
		metaOff: metaOff,
		slotCap: (metaSize - dirLen) / slotRecLen,
		segOff:  segOff,
		nseg:    nseg,
	}
	dir := make([]byte, dirLen)
	if _, err := r.ReadAt(dir, metaOff); err != nil {
		return nil, fmt.Errorf("ssdalloc: reading the table directory: %w", err)
	}
	var slotBase int64
	bySeg := map[uint32][]Location{}
	for i := 0; i < MaxTables; i++ {
		rec := dir[i*dirRecordLen : (i+1)*dirRecordLen]
		if binary.LittleEndian.Uint16(rec[2:]) == 0 {
			if !bytes.Equal(rec, make([]byte, dirRecordLen)) {
				return nil, fmt.Errorf("%w: directory record %d is unused but not empty", ErrCorrupt, i)
			}
			break
		}
		class := int(binary.LittleEndian.Uint16(rec[0:]))
		slots := int(binary.LittleEndian.Uint32(rec[4:]))
		base := ObjectID(binary.LittleEndian.Uint64(rec[8:]))
		t, err := d.a.pools.restoreTable(class, slots, base)
		if err != nil {
			return nil, err
		}
		if slotBase+int64(slots) > d.slotCap {
			return nil, fmt.Errorf("%w: table %d does not fit in the metadata area", ErrCorrupt, i)
		}
		locs, err := d.loadSlots(t, slotBase)
		if err != nil {
			return nil, err
		}
		for _, l := range locs {
			bySeg[l.Seg] = append(bySeg[l.Seg], l)
		}
		slotBase += int64(slots)
	}
	for seg, ls := range bySeg {
		slices.SortFunc(ls, func(a, b Location) int { return int(a.Off) - int(b.Off) })
		for i := 1; i < len(ls); i++ {
			if int(ls[i-1].Off)+recordSpan(int(ls[i-1].Len)) > int(ls[i].Off) {
				return nil, fmt.Errorf("%w: live records at %d and %d of segment %d overlap", ErrCorrupt, ls[i-1].Off, ls[i].Off, seg)
			}
		}
	}
	d.a.log.recount()
	d.a.log.holdFreed = true
	return d, nil
}

// Commit makes the batch in tx durable: the records written since the
// last Commit reach the device first, then j commits the tables that
// point at them; segments the batch emptied become reusable.
func (d *DurableAllocator) Commit(j *journal.Journal, tx *mmio.Tx) error {
	if d.err != nil {
		tx.Rollback()
		return d.err
	}
	if d.dirty {
		if err := d.dev.Datasync(); err != nil {
			d.err = fmt.Errorf("ssdalloc: syncing records: %w", err)
			tx.Rollback()
			return d.err
		}
		d.dirty = false
	}
	if err := j.Commit(tx); err != nil {
		d.err = err
		return err
	}
	d.a.log.Settle()
	return nil
}

// loadSlots reads table t's slot records, which start at slot index base
// of the slot area, into the allocator, and returns the stored locations.
func (d *DurableAllocator) loadSlots(t *objTable, base int64) ([]Location, error) {
	buf := make([]byte, t.slots*slotRecLen)
	if _, err := d.r.ReadAt(buf, d.slotOff(base)); err != nil {
		return nil, fmt.Errorf("ssdalloc: reading the slots of table %d: %w", t.id, err)
	}
	ls := make([]Location, t.slots)
	var stored []Location
	for s := 0; s < t.slots; s++ {
		rec := buf[s*slotRecLen:]
		loc := Location{
			Seg: binary.LittleEndian.Uint32(rec[0:]),
			Off: binary.LittleEndian.Uint32(rec[4:]),
			Len: binary.LittleEndian.Uint32(rec[8:]),
		}
		switch binary.LittleEndian.Uint32(rec[12:]) {
		case 0:
			if loc != (Location{}) {
				return nil, fmt.Errorf("%w: free slot %d of table %d has a location", ErrCorrupt, s, t.id)
			}
			ls[s] = Location{Seg: noSeg}
			continue
		case stateAlloc:
			ls[s] = Location{Seg: noSeg}
		case stateStored:
			if int(loc.Len) > classSize(t.class) {
				return nil, fmt.Errorf("%w: slot %d of table %d stores %d bytes in a class of %d", ErrCorrupt, s, t.id, loc.Len, classSize(t.class))
			}
			if err := d.a.log.restore(loc); err != nil {
				return nil, err
			}
			ls[s] = loc
			stored = append(stored, loc)
		default:
			return nil, fmt.Errorf("%w: slot %d of table %d in unknown state", ErrCorrupt, s, t.id)
		}
		t.bitmap[s/64] |= 1 << (s % 64)
		t.free--
	}
	d.a.locs[t] = ls
	return stored, nil
}

func (d *DurableAllocator) slotOff(index int64) int64 { return d.metaOff + dirLen + index*slotRecLen }

// slotIndex returns the index in the slot area of table t's slot s.
func (d *DurableAllocator) slotIndex(t *objTable, s int) int64 { return t.first + int64(s) }

// Allocator returns the allocator in memory, for inspection. It must not
// be changed except through d.
func (d *DurableAllocator) Allocator() *Allocator { return d.a }

// Alloc allocates an id for an object of up to size bytes.
func (d *DurableAllocator) Alloc(tx *mmio.Tx, size int) (ObjectID, error) {
	if d.err != nil {
		return 0, d.err
	}
	if n, err := d.a.pools.wouldCreate(size); err != nil {
		return 0, err
	} else if n > 0 {
		used := d.a.pools.slots
		if len(d.a.pools.byBase) == MaxTables || used+int64(n) > d.slotCap {
			return 0, fmt.Errorf("ssdalloc: metadata area full (%d of %d slots in %d tables)", used, d.slotCap, len(d.a.pools.byBase))
		}
	}
	tables := len(d.a.pools.byBase)
	id, err := d.a.Alloc(size)
	if err != nil {
		return 0, err
	}
	if len(d.a.pools.byBase) > tables {
		t := d.a.pools.byBase[tables]
		var rec [dirRecordLen]byte
		binary.LittleEndian.PutUint16(rec[0:], uint16(t.class))
		binary.LittleEndian.PutUint16(rec[2:], 1)
		binary.LittleEndian.PutUint32(rec[4:], uint32(t.slots))
		binary.LittleEndian.PutUint64(rec[8:], uint64(t.base))
		if err := d.write(tx, rec[:], d.metaOff+int64(t.id)*dirRecordLen); err != nil {
			return 0, err
		}
	}
	return id, d.writeSlot(tx, id)
}

// Store writes data as id's object: a new record in the log (the old one
// dies) and the slot's new location.
func (d *DurableAllocator) Store(tx *mmio.Tx, id ObjectID, data []byte) (Location, error) {
	if d.err != nil {
		return Location{}, d.err
	}
	loc, opened, err := d.a.Store(id, len(data))
	if err != nil {
		return Location{}, err
	}
	return loc, d.writeRecord(tx, id, loc, opened, data)
}

// Read returns a copy of id's object.
func (d *DurableAllocator) Read(id ObjectID) ([]byte, error) {
	loc, err := d.a.Where(id)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, recordSpan(int(loc.Len)))
	if _, err := d.dev.ReadAt(buf, d.recordOff(loc)); err != nil {
		return nil, fmt.Errorf("ssdalloc: reading object %d: %w", id, err)
	}
	r, _, end, err := decodeRecord(buf)
	if err != nil || end {
		return nil, fmt.Errorf("%w: object %d: record at segment %d offset %d: %v", ErrCorrupt, id, loc.Seg, loc.Off, err)
	}
	table, slot, _ := d.a.BackPointer(id)
	if r.Table != table || r.Slot != slot || len(r.Data) != int(loc.Len) {
		return nil, fmt.Errorf("%w: object %d: the record there belongs to table %d slot %d", ErrCorrupt, id, r.Table, r.Slot)
	}
	return r.Data, nil
}

// Free releases id and its record.
func (d *DurableAllocator) Free(tx *mmio.Tx, id ObjectID) error {
	if d.err != nil {
		return d.err
	}
	if err := d.a.Free(id); err != nil {
		return err
	}
	t, s := d.tableOf(id)
	var rec [slotRecLen]byte
	return d.write(tx, rec[:], d.slotOff(d.slotIndex(t, s)))
}

// Clean moves the live records out of the segment with the most dead
// bytes, and returns how many it moved (0 and no error when nothing is
// worth cleaning).
func (d *DurableAllocator) Clean(tx *mmio.Tx) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	v := d.a.log.Victims(1)
	if len(v) == 0 {
		return 0, nil
	}
	seg := make([]byte, d.a.log.Used(v[0]))
	if _, err := d.dev.ReadAt(seg, d.r.Offset()+d.segOff+int64(v[0])*SegmentSize); err != nil {
		return 0, fmt.Errorf("ssdalloc: reading segment %d: %w", v[0], err)
	}
	_, recs, offs, err := DecodeSegment(seg)
	if err != nil {
		return 0, fmt.Errorf("segment %d: %w", v[0], err)
	}
	moved := 0
	for i, rec := range recs {
		id, live := d.a.Live(v[0], uint32(offs[i]), rec.Table, rec.Slot)
		if !live {
			continue
		}
		loc, opened, err := d.a.Relocate(id)
		if err != nil {
			return moved, err
		}
		if err := d.writeRecord(tx, id, loc, opened, rec.Data); err != nil {
			return moved, err
		}
		moved++
	}
	return moved, nil
}

// writeRecord writes a segment header if the segment was just opened, the
// record, and the slot's location.
func (d *DurableAllocator) writeRecord(tx *mmio.Tx, id ObjectID, loc Location, opened bool, data []byte) error {
	if opened {
		d.seq++
		var h [segHeaderLen]byte
		segHeader{seq: d.seq}.encode(h[:])
		if err := d.direct(h[:], d.r.Offset()+d.segOff+int64(loc.Seg)*SegmentSize); err != nil {
			return err
		}
	}
	table, slot, _ := d.a.BackPointer(id)
	buf := make([]byte, recordSpan(len(data)))
	encodeRecord(buf, Record{Table: table, Slot: slot, Data: data})
	if err := d.direct(buf, d.recordOff(loc)); err != nil {
		return err
	}
	return d.writeSlot(tx, id)
}

// direct writes segment bytes straight to the device.
func (d *DurableAllocator) direct(b []byte, off int64) error {
	if _, err := d.dev.WriteAt(b, off); err != nil {
		d.err = fmt.Errorf("ssdalloc: writing segment bytes at %d: %w", off, err)
		return d.err
	}
	d.dirty = true
	return nil
}

// recordOff is where a record sits in the device file.
func (d *DurableAllocator) recordOff(loc Location) int64 {
	return d.r.Offset() + d.segOff + int64(loc.Seg)*SegmentSize + int64(loc.Off)
}

func (d *DurableAllocator) tableOf(id ObjectID) (*objTable, int) {
	i, _ := slices.BinarySearchFunc(d.a.pools.byBase, id, func(t *objTable, id ObjectID) int {
		if t.base+ObjectID(t.slots) <= id {
			return -1
		}
		if t.base > id {
			return 1
		}
		return 0
	})
	t := d.a.pools.byBase[i]
	return t, int(id - t.base)
}

// writeSlot writes id's slot record as the allocator now has it.
func (d *DurableAllocator) writeSlot(tx *mmio.Tx, id ObjectID) error {
	t, s := d.tableOf(id)
	loc := d.a.locs[t][s]
	var rec [slotRecLen]byte
	if loc.Seg == noSeg {
		binary.LittleEndian.PutUint32(rec[12:], stateAlloc)
	} else {
		binary.LittleEndian.PutUint32(rec[0:], loc.Seg)
		binary.LittleEndian.PutUint32(rec[4:], loc.Off)
		binary.LittleEndian.PutUint32(rec[8:], loc.Len)
		binary.LittleEndian.PutUint32(rec[12:], stateStored)
	}
	return d.write(tx, rec[:], d.slotOff(d.slotIndex(t, s)))
}

// write writes through tx; a failure makes d refuse further changes (the
// caller rolls back and loads again).
func (d *DurableAllocator) write(tx *mmio.Tx, b []byte, off int64) error {
	if _, err := tx.WriteAt(b, off); err != nil {
		d.err = fmt.Errorf("ssdalloc: write at %d: %w", off, err)
		return d.err
	}
	return nil
}
