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

// On-device layout of a durable allocator. The metadata area lives in an
// mmio region and changes only through the journal; the segments live
// wherever the Space puts them in the region's file, outside the metadata
// area, and are written straight to the file (the region may map them
// too, for reading; nothing writes them through it).
//
//	meta:      directory: MaxTables records of 16 B, one per object table in creation order
//	           +--------+--------+--------+--------+
//	           | class  | used=1 | slots  | base   |
//	           | u16    | u16    | u32    | u64    |
//	           +--------+--------+--------+--------+
//	           slots: each table's slot records, tables back to back in creation order,
//	           8 B each (see slot.go for the bits):
//	           +-----+-----------------+-------------+-------------+-------+
//	           | 0 0 | seg (28 bits)   | off/4 (15)  | len (17)    | state |   u64
//	           +-----+-----------------+-------------+-------------+-------+
//	segments:  nseg segments of SegmentSize, each SegmentSize/BlockSize blocks placed
//	           by the Space (see the package comment for what is in them)
//
// A batch, from the first change to Commit:
//
//	Alloc/Store/Free/Clean                  Commit
//	----------------------                  ------
//	record -> head segment's image in DRAM  1. dirty slot records -> tx, coalesced per page
//	          (a full segment is written    2. the head's unwritten tail -> device, one write
//	           out when the next opens)        per run of consecutive blocks
//	slot   -> dirty set in DRAM             3. fdatasync the device
//	segment opened -> Space.Segment(tx)     4. journal commit of tx (tables, Space's changes)
//	segment emptied -> held                 5. held segments become free
//
// Records only ever go to bytes no committed table points at (the head
// segment past its last record; never a segment emptied by a batch that
// is not durable yet), so a crash anywhere leaves the committed tables
// pointing at committed records.
const (
	// MaxTables bounds the object tables of a durable allocator.
	MaxTables    = 1024
	dirRecordLen = 16
	dirLen       = MaxTables * dirRecordLen
	// slotMergeGap: two changed slot runs of one page this few bytes
	// apart are written as one, rewriting the unchanged records between
	// them, since each separate range costs the journal a 16-byte entry.
	slotMergeGap = 16
	// maxRunsPerPage is how many separate ranges a page may get: mmio
	// tracks up to 8 written spans per page and journals the page whole
	// beyond that, so the runs are merged, smallest gaps first, down to 8.
	maxRunsPerPage = 8
)

// DurableAllocator is an Allocator kept on the device: its tables in a
// metadata area of an mmio region, written through the caller's
// transaction, and its objects' records in segments of the same file,
// written straight to the file: a record goes into space no committed
// table points at, so it needs no journal, and each object byte is
// written once. A batch's records are assembled in DRAM, in the head
// segment's image (reads of them are served from there), and written
// with one write per run of consecutive blocks at Commit, or when the
// segment fills; its slot changes are written into the transaction at
// Commit, coalesced. Commit orders the two: it syncs the records, then
// commits the tables that point at them, so one commit makes a batch of
// allocations, stores, frees and relocations durable all or none. A
// segment emptied by a batch is reused only after that batch is durable.
// Records already written are read from the region's mapping when it
// covers a ContiguousSpace's segments (mmio.Map of the whole file), or
// with a read of the file otherwise. Not safe for concurrent use.
type DurableAllocator struct {
	a       *Allocator
	r       *mmio.Region
	dev     vfs.File // the region's file: segments are written here directly
	space   Space
	mapped  bool // segment bytes inside r are read from its mapping (see segIO)
	metaOff int64
	slotCap int64 // slot records the metadata area holds
	nseg    int
	blocks  [][]int64 // per segment: the device offsets of its blocks, once asked for
	seq     uint64

	// The head segment's image: records are appended here and reach the
	// device at Commit, or when the next segment is opened.
	head    int    // the log's head segment, or -1
	buf     []byte // SegmentSize; [0, end) is what the head holds
	end     int
	flushed int // buf[:flushed] is on the device

	dirty     []int64  // slot indices changed since the last Commit
	dirtyBits []uint64 // one bit per slot index: in dirty

	unsynced bool   // segment bytes written since the last device sync
	err      error  // a failed write: memory is ahead of the device
	moved    int64  // records cleaning has moved, for benchmarks
	cleanBuf []byte // a victim being cleaned
}

// MetaSize is the metadata area a durable allocator needs for up to
// slots object slots in all.
func MetaSize(slots int64) int64 { return dirLen + slots*slotRecLen }

// LoadAllocator opens the allocator whose metadata area is
// [metaOff, metaOff+metaSize) of r and whose nseg segments space places in
// r's file (a zeroed metadata area is an empty allocator). It checks what
// it reads: tables in creation order with the bases allocation gives them,
// slot records well formed, locations inside their segments, no two live
// records overlapping, and blocks from space for every segment holding a
// live record.
func LoadAllocator(r *mmio.Region, metaOff, metaSize int64, space Space, nseg int) (*DurableAllocator, error) {
	switch {
	case metaSize < dirLen:
		return nil, fmt.Errorf("ssdalloc: metadata area of %d bytes is smaller than the directory (%d)", metaSize, dirLen)
	case metaOff < 0 || metaOff%slotRecLen != 0 || metaOff+metaSize > r.Size():
		return nil, fmt.Errorf("ssdalloc: metadata area [%d, %d) is not 8-byte aligned inside a region of %d bytes", metaOff, metaOff+metaSize, r.Size())
	case nseg < 1 || nseg > maxSegments:
		return nil, fmt.Errorf("ssdalloc: %d segments (1 to %d)", nseg, maxSegments)
	case space == nil:
		return nil, fmt.Errorf("ssdalloc: no Space")
	}
	d := &DurableAllocator{
		a:       NewAllocator(nseg),
		r:       r,
		dev:     r.File(),
		space:   space,
		mapped:  r.Mapped() && isContiguous(space),
		metaOff: metaOff,
		slotCap: (metaSize - dirLen) / slotRecLen,
		nseg:    nseg,
		blocks:  make([][]int64, nseg),
		head:    -1,
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
			if !allZero(rec) {
				return nil, fmt.Errorf("%w: directory record %d is unused but not empty", ErrCorrupt, i)
			}
			break
		}
		class := int(binary.LittleEndian.Uint16(rec[0:]))
		slots := int(binary.LittleEndian.Uint32(rec[4:]))
		base := ObjectID(binary.LittleEndian.Uint64(rec[8:]))
		if binary.LittleEndian.Uint16(rec[2:]) != 1 {
			return nil, fmt.Errorf("%w: directory record %d in unknown state", ErrCorrupt, i)
		}
		t, err := d.a.pools.restoreTable(class, slots, base)
		if err != nil {
			return nil, err
		}
		if slotBase+int64(slots) > d.slotCap {
			return nil, fmt.Errorf("%w: table %d does not fit in the metadata area", ErrCorrupt, i)
		}
		locs, err := d.loadSlots(t)
		if err != nil {
			return nil, err
		}
		for _, l := range locs {
			bySeg[l.Seg] = append(bySeg[l.Seg], l)
		}
		slotBase += int64(slots)
	}
	segs := make([]uint32, 0, len(bySeg))
	for seg, ls := range bySeg {
		slices.SortFunc(ls, func(a, b Location) int { return int(a.Off) - int(b.Off) })
		for i := 1; i < len(ls); i++ {
			if int(ls[i-1].Off)+recordSpan(int(ls[i-1].Len)) > int(ls[i].Off) {
				return nil, fmt.Errorf("%w: live records at %d and %d of segment %d overlap", ErrCorrupt, ls[i-1].Off, ls[i].Off, seg)
			}
		}
		segs = append(segs, seg)
	}
	slices.Sort(segs)
	for _, seg := range segs {
		if err := d.fetch(nil, seg); err != nil {
			return nil, fmt.Errorf("%w: segment %d holds live records: %w", ErrCorrupt, seg, err)
		}
	}
	d.a.log.recount()
	d.a.log.holdFreed = true
	return d, nil
}

// loadSlots reads table t's slot records into the allocator, and returns
// the stored locations.
func (d *DurableAllocator) loadSlots(t *objTable) ([]Location, error) {
	buf := make([]byte, t.slots*slotRecLen)
	if _, err := d.r.ReadAt(buf, d.slotOff(t.first)); err != nil {
		return nil, fmt.Errorf("ssdalloc: reading the slots of table %d: %w", t.id, err)
	}
	ls := make([]Location, t.slots)
	var stored []Location
	for s := 0; s < t.slots; s++ {
		loc, allocated, isStored, err := decodeSlot(binary.LittleEndian.Uint64(buf[s*slotRecLen:]))
		if err != nil {
			return nil, fmt.Errorf("slot %d of table %d: %w", s, t.id, err)
		}
		ls[s] = loc
		if !allocated {
			continue
		}
		if isStored {
			if int(loc.Len) > classSize(t.class) {
				return nil, fmt.Errorf("%w: slot %d of table %d stores %d bytes in a class of %d", ErrCorrupt, s, t.id, loc.Len, classSize(t.class))
			}
			if err := d.a.log.restore(loc); err != nil {
				return nil, err
			}
			stored = append(stored, loc)
		}
		t.bitmap[s/64] |= 1 << (s % 64)
		t.free--
	}
	d.a.locs[t] = ls
	return stored, nil
}

// fetch asks the Space for segment seg's blocks (allocating them in tx
// when it has none and tx is not nil) and keeps them.
func (d *DurableAllocator) fetch(tx *mmio.Tx, seg uint32) error {
	bl, err := d.space.Segment(tx, seg)
	if err != nil {
		return fmt.Errorf("ssdalloc: blocks of segment %d: %w", seg, err)
	}
	if len(bl) != segBlocks {
		return fmt.Errorf("%w: the space gave segment %d %d blocks, not %d", ErrCorrupt, seg, len(bl), segBlocks)
	}
	for _, off := range bl {
		if off < 0 {
			return fmt.Errorf("%w: the space placed a block of segment %d at %d", ErrCorrupt, seg, off)
		}
	}
	d.blocks[seg] = bl
	return nil
}

func isContiguous(s Space) bool {
	switch s.(type) {
	case ContiguousSpace, *ContiguousSpace:
		return true
	}
	return false
}

func (d *DurableAllocator) slotOff(index int64) int64 { return d.metaOff + dirLen + index*slotRecLen }

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
		if _, err := tx.WriteAt(rec[:], d.metaOff+int64(t.id)*dirRecordLen); err != nil {
			d.err = fmt.Errorf("ssdalloc: writing the directory record of table %d: %w", t.id, err)
			return 0, d.err
		}
	}
	d.markSlot(id)
	return id, nil
}

// Store writes data as id's object: a new record in the log (the old one
// dies) and the slot's new location.
func (d *DurableAllocator) Store(tx *mmio.Tx, id ObjectID, data []byte) (Location, error) {
	if d.err != nil {
		return Location{}, d.err
	}
	loc, opened, err := d.place(tx, id, len(data), false)
	if err != nil {
		return Location{}, err
	}
	if err := d.append(id, loc, opened, data); err != nil {
		return Location{}, err
	}
	d.markSlot(id)
	return loc, nil
}

// place places a record of n bytes for id (moving it out of a victim when
// cleaning), first asking the Space for the blocks of the segment that
// placing it opens.
func (d *DurableAllocator) place(tx *mmio.Tx, id ObjectID, n int, cleaning bool) (Location, bool, error) {
	if seg, ok := d.a.log.opens(n, cleaning); ok {
		if err := d.fetch(tx, seg); err != nil {
			return Location{}, false, err
		}
	}
	if cleaning {
		return d.a.Relocate(id)
	}
	return d.a.Store(id, n)
}

// append encodes id's record at loc in the head's image. Opening a new
// head writes the old one's tail out first.
func (d *DurableAllocator) append(id ObjectID, loc Location, opened bool, data []byte) error {
	if opened {
		if err := d.flushTail(); err != nil {
			return err
		}
		if d.buf == nil {
			d.buf = make([]byte, SegmentSize)
		}
		d.seq++
		d.head = int(loc.Seg)
		segHeader{seq: d.seq}.encode(d.buf)
		d.end, d.flushed = segHeaderLen, 0
	} else if int(loc.Seg) != d.head || int(loc.Off) != d.end {
		panic(fmt.Sprintf("ssdalloc: record placed at segment %d offset %d, the head is segment %d at %d", loc.Seg, loc.Off, d.head, d.end))
	}
	d.end += encodeRecord(d.buf[loc.Off:], Record{ID: id, Data: data})
	return nil
}

// flushTail writes the head's bytes not yet on the device.
func (d *DurableAllocator) flushTail() error {
	if d.head < 0 || d.end == d.flushed {
		return nil
	}
	if err := d.segIO(true, uint32(d.head), d.flushed, d.buf[d.flushed:d.end]); err != nil {
		d.err = err
		return err
	}
	d.flushed = d.end
	d.unsynced = true
	return nil
}

// segIO reads or writes b at offset off of segment seg, split at block
// boundaries, with one I/O per run of physically consecutive blocks.
// Writes go to the file. Reads come from the region's mapping when it
// covers the blocks and the Space is a ContiguousSpace, from the file
// otherwise: a mapped region shows the file wherever it holds nothing
// private, and nothing is ever written through it into a ContiguousSpace's
// segment area, which is the allocator's alone; a Space that takes blocks
// from a pool shared with other users of the region could hand out a
// block the region still holds a private copy of.
func (d *DurableAllocator) segIO(write bool, seg uint32, off int, b []byte) error {
	bl := d.blocks[seg]
	if bl == nil {
		return fmt.Errorf("ssdalloc: segment %d has no known blocks", seg)
	}
	for len(b) > 0 {
		i := off / BlockSize
		n := BlockSize - off%BlockSize
		for j := i + 1; n < len(b) && j < segBlocks && bl[j] == bl[j-1]+BlockSize; j++ {
			n += BlockSize
		}
		n = min(n, len(b))
		at := bl[i] + int64(off%BlockSize)
		var err error
		switch {
		case write:
			_, err = d.dev.WriteAt(b[:n], at)
		case d.mapped && at >= d.r.Offset() && at+int64(n) <= d.r.Offset()+d.r.Size():
			// The region maps these bytes and holds nothing private
			// for them (only the metadata is written through it), so
			// its mapping shows the file: a copy, no system call.
			_, err = d.r.ReadAt(b[:n], at-d.r.Offset())
		default:
			_, err = d.dev.ReadAt(b[:n], at)
		}
		if err != nil {
			return fmt.Errorf("ssdalloc: segment %d bytes [%d, %d) at %d: %w", seg, off, off+n, at, err)
		}
		off += n
		b = b[n:]
	}
	return nil
}

// Read returns a copy of id's object.
func (d *DurableAllocator) Read(id ObjectID) ([]byte, error) {
	loc, err := d.a.Where(id)
	if err != nil {
		return nil, err
	}
	span := recordSpan(int(loc.Len))
	var b []byte
	fromBuf := int(loc.Seg) == d.head
	if fromBuf {
		b = d.buf[loc.Off : int(loc.Off)+span]
	} else {
		b = make([]byte, span)
		if err := d.segIO(false, loc.Seg, int(loc.Off), b); err != nil {
			return nil, fmt.Errorf("ssdalloc: reading object %d: %w", id, err)
		}
	}
	r, _, end, err := decodeRecord(b)
	if err != nil || end {
		return nil, fmt.Errorf("%w: object %d: record at segment %d offset %d: %v", ErrCorrupt, id, loc.Seg, loc.Off, err)
	}
	if r.ID != id || len(r.Data) != int(loc.Len) {
		return nil, fmt.Errorf("%w: object %d: the record there belongs to object %d", ErrCorrupt, id, r.ID)
	}
	if fromBuf {
		return bytes.Clone(r.Data), nil
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
	d.markSlot(id)
	return nil
}

// Clean moves the live records out of the segment with the fewest live
// bytes, and returns how many it moved (0 and no error when nothing is
// worth cleaning). The victim becomes free once tx is committed.
func (d *DurableAllocator) Clean(tx *mmio.Tx) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	v := d.a.log.Victims(1)
	if len(v) == 0 {
		return 0, nil
	}
	return d.clean(tx, v[0])
}

// clean moves the live records out of segment victim. It walks the
// victim's records by their headers and decodes in full (checksum
// included) only the live ones, which a greedy victim has few of; since
// the dead ones are skipped unchecked, the walk must find exactly the live
// bytes the log counts in the segment before anything moves, or the
// segment is corrupt.
func (d *DurableAllocator) clean(tx *mmio.Tx, victim uint32) (int, error) {
	used := d.a.log.Used(victim)
	if d.cleanBuf == nil {
		d.cleanBuf = make([]byte, SegmentSize)
	}
	seg := d.cleanBuf[:used]
	if err := d.segIO(false, victim, 0, seg); err != nil {
		return 0, err
	}
	if _, err := decodeSegHeader(seg); err != nil {
		return 0, fmt.Errorf("segment %d: %w", victim, err)
	}
	var live []Record
	var offs []int
	found := 0
	for off := segHeaderLen; off < used; {
		n, id, err := peekRecord(seg[off:])
		if err != nil {
			return 0, fmt.Errorf("segment %d at offset %d: %w", victim, off, err)
		}
		span := recordSpan(n)
		if d.a.Live(victim, uint32(off), id) {
			r, _, _, err := decodeRecord(seg[off:min(off+span, used)])
			if err != nil {
				return 0, fmt.Errorf("segment %d at offset %d: %w", victim, off, err)
			}
			if loc, _ := d.a.Where(id); int(loc.Len) != n {
				return 0, fmt.Errorf("%w: object %d has %d bytes, its record in segment %d %d", ErrCorrupt, id, loc.Len, victim, n)
			}
			live = append(live, r)
			offs = append(offs, off)
			found += span
		}
		off += span
	}
	if found != d.a.log.Live(victim) {
		return 0, fmt.Errorf("%w: segment %d: its records hold %d live bytes, the tables %d", ErrCorrupt, victim, found, d.a.log.Live(victim))
	}
	moved := 0
	for _, rec := range live {
		loc, opened, err := d.place(tx, rec.ID, len(rec.Data), true)
		if err != nil {
			return moved, err
		}
		if err := d.append(rec.ID, loc, opened, rec.Data); err != nil {
			return moved, err
		}
		d.markSlot(rec.ID)
		moved++
		d.moved++
	}
	return moved, nil
}

// MakeRoom cleans, in tx, before a batch that will write about bytes of
// records (recordSpan of each object), so that the log keeps free
// segments ahead of the writes. A batch needs need segments; the ones it
// empties (cleaning's victims among them) become free only when it
// commits. So while the segments free now plus those emptied so far are
// fewer than 2*need + reserve + 2 (room for this batch, then for the next
// one of the same size, with a segment of slack for a head cut short and
// one for cleaning's own copies), it cleans the victim with the fewest
// live bytes, unless moving them would leave this batch less than need
// free segments. It cleans nothing when no segment has dead bytes; a
// batch that still finds the log full (ErrLogFull) must commit to make
// the emptied segments reusable. It returns the records moved.
//
// How much cleaning copies depends on the utilization the log runs at
// (live bytes over the segments' bytes): with uniformly random updates
// and greedy victims, a log at 25 % moves about 2 bytes per 100 written,
// at 50 % about 25.
func (d *DurableAllocator) MakeRoom(tx *mmio.Tx, bytes int) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	l := d.a.log
	need := (bytes+SegmentSize-segHeaderLen-1)/(SegmentSize-segHeaderLen) + 1 // +1: the head is part full
	target := 2*need + reserveSegments + 2
	moved := 0
	for tries := 0; l.FreeSegments()+l.Held() < target && tries < 4*target; tries++ {
		v := l.Victims(1)
		if len(v) == 0 {
			break
		}
		if cost := l.Live(v[0])/(SegmentSize-segHeaderLen) + 1; l.FreeSegments()-cost < need+reserveSegments {
			break
		}
		n, err := d.clean(tx, v[0])
		moved += n
		if err != nil {
			return moved, err
		}
	}
	return moved, nil
}

// Commit makes the batch in tx durable: the changed slot records go into
// tx, the records written since the last Commit reach the device and are
// synced, then j commits the tables that point at them; segments the
// batch emptied become reusable.
func (d *DurableAllocator) Commit(j *journal.Journal, tx *mmio.Tx) error {
	if d.err != nil {
		tx.Rollback()
		return d.err
	}
	if err := d.writeSlots(tx); err != nil {
		d.err = err
		tx.Rollback()
		return err
	}
	if err := d.flushTail(); err != nil {
		tx.Rollback()
		return err
	}
	if d.unsynced {
		if err := d.dev.Datasync(); err != nil {
			d.err = fmt.Errorf("ssdalloc: syncing records: %w", err)
			tx.Rollback()
			return d.err
		}
		d.unsynced = false
	}
	if err := j.Commit(tx); err != nil {
		d.err = err
		return err
	}
	d.a.log.Settle()
	return nil
}

// Flush writes the records of the batch not yet on the device, without
// syncing, and reports whether records written since the last sync are
// waiting for one. A caller that syncs the device itself (with its own
// data, one sync for both) then calls Synced, and Commit syncs nothing
// more.
func (d *DurableAllocator) Flush() (unsynced bool, err error) {
	if d.err != nil {
		return false, d.err
	}
	if err := d.flushTail(); err != nil {
		return false, err
	}
	return d.unsynced, nil
}

// Synced tells the allocator that the device was synced after its last
// Flush.
func (d *DurableAllocator) Synced() { d.unsynced = false }

// markSlot records that id's slot changed in this batch.
func (d *DurableAllocator) markSlot(id ObjectID) {
	t, s := d.tableOf(id)
	idx := t.first + int64(s)
	w := int(idx / 64)
	if w >= len(d.dirtyBits) {
		d.dirtyBits = append(d.dirtyBits, make([]uint64, w+1-len(d.dirtyBits)+len(d.dirtyBits)/2)...)
	}
	if d.dirtyBits[w]&(1<<(idx%64)) != 0 {
		return
	}
	d.dirtyBits[w] |= 1 << (idx % 64)
	d.dirty = append(d.dirty, idx)
}

// slotRun is a run [lo, hi) of slot indices written with one WriteAt.
type slotRun struct{ lo, hi int64 }

// writeSlots writes the batch's changed slot records into tx: sorted,
// grouped by page, consecutive ones (and ones at most slotMergeGap bytes
// apart) as one range, at most maxRunsPerPage ranges per page.
func (d *DurableAllocator) writeSlots(tx *mmio.Tx) error {
	slices.Sort(d.dirty)
	var runs []slotRun
	var buf []byte
	for i := 0; i < len(d.dirty); {
		page := d.slotOff(d.dirty[i]) / mmio.PageSize
		runs = runs[:0]
		for ; i < len(d.dirty) && d.slotOff(d.dirty[i])/mmio.PageSize == page; i++ {
			idx := d.dirty[i]
			if n := len(runs); n > 0 && (idx-runs[n-1].hi)*slotRecLen <= slotMergeGap {
				runs[n-1].hi = idx + 1
				continue
			}
			runs = append(runs, slotRun{idx, idx + 1})
		}
		runs = mergeRuns(runs, maxRunsPerPage)
		for _, r := range runs {
			buf = buf[:0]
			for idx := r.lo; idx < r.hi; idx++ {
				buf = binary.LittleEndian.AppendUint64(buf, d.slotWord(idx))
			}
			if _, err := tx.WriteAt(buf, d.slotOff(r.lo)); err != nil {
				return fmt.Errorf("ssdalloc: writing slot records [%d, %d): %w", r.lo, r.hi, err)
			}
		}
	}
	for _, idx := range d.dirty {
		d.dirtyBits[idx/64] = 0
	}
	d.dirty = d.dirty[:0]
	return nil
}

// mergeRuns merges the runs separated by the smallest gaps until at most
// max remain.
func mergeRuns(runs []slotRun, max int) []slotRun {
	for len(runs) > max {
		best := 1
		for k := 2; k < len(runs); k++ {
			if runs[k].lo-runs[k-1].hi < runs[best].lo-runs[best-1].hi {
				best = k
			}
		}
		runs[best-1].hi = runs[best].hi
		runs = slices.Delete(runs, best, best+1)
	}
	return runs
}

// slotWord is the slot record of slot index idx as the allocator now has
// it.
func (d *DurableAllocator) slotWord(idx int64) uint64 {
	tables := d.a.pools.byBase
	i, _ := slices.BinarySearchFunc(tables, idx, func(t *objTable, idx int64) int {
		switch {
		case t.first+int64(t.slots) <= idx:
			return -1
		case t.first > idx:
			return 1
		}
		return 0
	})
	t := tables[i]
	s := int(idx - t.first)
	if !t.allocated(s) {
		return 0
	}
	return encodeSlot(d.a.locs[t][s])
}

// tableOf returns the table whose id range holds id (allocated or not)
// and id's slot in it.
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
