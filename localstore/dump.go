package localstore

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"slices"

	"mapstore/localstore/volume"
	"mapstore/ssdalloc"
)

// A dump is the whole store as one stream: what a replica too far behind
// to catch up from the log receives, and what an operator saves. It holds
// the records, byte for byte as they are (their versions and data object
// ids included, so the copy answers every later batch exactly as the
// original does), and the blocks of every data object a record uses or a
// writer still fills. Nothing of the layout travels: the receiver lays
// the store out on its own device (Restore).
//
//	header (56 bytes)
//	+-----------+-------------+----------+-------------+-------------+
//	| "MSDUMP1\n" | version u32 | zero u32 | applied u64 | nextObj u64 |
//	+-----------+-------------+----------+-------------+-------------+
//	| records u64 | data frames u64 | crc32c of the bytes before u32 | zero u32 |
//	+-------------+-----------------+--------------------------------+----------+
//
//	frame
//	+---------+-------------+---------------+----------------------------+
//	| type u8 | length u32  | payload ...   | crc32c of type..payload u32 |
//	+---------+-------------+---------------+----------------------------+
//	  'R' a record:      the record's payload
//	  'D' data:          obj u64 | first block u64 | whole blocks (at most 1 MiB)
//	  'E' the end:       frames u64 | crc32c of every byte before this frame u32
//
// Integers are little-endian; the checksums are CRC-32C. A dump's length
// is known before its first byte is read (Dump.Size), as raft's snapshot
// transfer needs.
//
// A dump is consistent: it is the state after batch Applied. The records
// are copied while no batch applies (one sequential scan of the record
// log, spooled to a temporary file), then writes go on while the data is
// streamed: every data object in the dump is pinned, so that nothing
// frees or reuses its blocks until the dump is closed, and blocks are
// never written twice (a data object being filled only gains blocks past
// the ones dumped).

const (
	// DumpMagic begins every dump.
	DumpMagic      = "MSDUMP1\n"
	dumpVersion    = 1
	dumpHeaderLen  = 56
	frameOverhead  = 1 + 4 + 4
	dataFrameExtra = 16
	endPayloadLen  = 12

	frameRecord = 'R'
	frameData   = 'D'
	frameEnd    = 'E'

	// dumpChunkBlocks is the most blocks one data frame carries.
	dumpChunkBlocks = 256
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrDump is a dump that cannot be read: truncated, corrupt, or of an
// unknown version.
var ErrDump = errors.New("localstore: bad dump")

// Dump is a consistent copy of the store being read. Close it: it holds
// the data it copies.
type Dump struct {
	// Applied is the index of the last batch the dump holds.
	Applied uint64
	// Size is the dump's exact length in bytes.
	Size int64

	s       *Store
	nextObj uint64
	records uint64
	spool   *os.File
	data    []dumpData
	pins    []uint64
	pr      *io.PipeReader
	done    chan struct{}
	closed  bool
}

// dumpData is a data object to copy and how many blocks of it.
type dumpData struct{ obj, blocks uint64 }

// Dump starts a dump of the store. Its records are spooled to a temporary
// file in spoolDir (the system's temporary directory if empty) while no
// batch applies; the data follows as the dump is read.
func (s *Store) Dump(spoolDir string) (*Dump, error) {
	spool, err := os.CreateTemp(spoolDir, "mapstore-dump-*")
	if err != nil {
		return nil, fmt.Errorf("localstore: dump: %w", err)
	}
	os.Remove(spool.Name()) // gone with the last descriptor
	d := &Dump{s: s, spool: spool, done: make(chan struct{})}
	recBytes, err := s.captureDump(d)
	if err != nil {
		spool.Close()
		return nil, err
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		s.unpin(d.pins)
		spool.Close()
		return nil, fmt.Errorf("localstore: dump: %w", err)
	}
	dataFrames := uint64(0)
	d.Size = dumpHeaderLen + recBytes + int64(d.records)*frameOverhead
	for _, x := range d.data {
		for b := uint64(0); b < x.blocks; b += dumpChunkBlocks {
			n := min(dumpChunkBlocks, x.blocks-b)
			d.Size += frameOverhead + dataFrameExtra + int64(n)*volume.BlockSize
			dataFrames++
		}
	}
	d.Size += frameOverhead + endPayloadLen
	pr, pw := io.Pipe()
	d.pr = pr
	go func() {
		defer close(d.done)
		pw.CloseWithError(d.write(pw, dataFrames))
	}()
	return d, nil
}

// captureDump spools every record and lists the data objects to copy,
// pinning them, while no batch applies.
func (s *Store) captureDump(d *Dump) (recBytes int64, err error) {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	if s.failed != nil {
		return 0, s.failed
	}
	s.allocMu.RLock()
	defer s.allocMu.RUnlock()
	w := bufio.NewWriterSize(d.spool, 1<<20)
	var lenBuf [4]byte
	spool := func(payload []byte) error {
		binary.LittleEndian.PutUint32(lenBuf[:], uint32(len(payload)))
		w.Write(lenBuf[:])
		_, err := w.Write(payload)
		d.records++
		recBytes += int64(len(payload))
		return err
	}
	var heads []ssdalloc.ObjectID
	err = s.alloc.Scan(func(id ssdalloc.ObjectID, f []byte) error {
		if len(f) == 0 {
			return fmt.Errorf("%w: empty record %d", ErrCorrupt, id)
		}
		switch f[0] {
		case frameWhole:
			return spool(f[1:])
		case frameHead:
			heads = append(heads, id)
		}
		return nil
	})
	for _, h := range heads {
		if err != nil {
			break
		}
		var f []byte
		if f, err = s.alloc.Read(h); err != nil {
			break
		}
		var pieces []ssdalloc.ObjectID
		if pieces, _, err = parseHead(f); err != nil {
			break
		}
		var payload []byte
		if payload, err = s.getRecord(append([]ssdalloc.ObjectID{h}, pieces...)); err == nil {
			err = spool(payload)
		}
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return 0, fmt.Errorf("localstore: dump: copying records: %w", err)
	}
	for obj, n := range s.blocks {
		if n > 0 && (s.refs[obj] > 0 || s.open[obj] != nil) {
			d.data = append(d.data, dumpData{obj, n})
		}
	}
	slices.SortFunc(d.data, func(a, b dumpData) int { return cmp.Compare(a.obj, b.obj) })
	d.pins = make([]uint64, len(d.data))
	for i, x := range d.data {
		d.pins[i] = x.obj
	}
	s.pin(d.pins)
	d.Applied, d.nextObj = s.applied, s.nextObj
	return recBytes, nil
}

// frameWriter writes frames, keeping the checksum of every byte.
type frameWriter struct {
	w      *bufio.Writer
	crc    uint32
	frames uint64
	n      int64
}

func (f *frameWriter) raw(p []byte) error {
	f.crc = crc32.Update(f.crc, castagnoli, p)
	f.n += int64(len(p))
	_, err := f.w.Write(p)
	return err
}

// frame writes one frame whose payload is the concatenation of parts.
func (f *frameWriter) frame(typ byte, parts ...[]byte) error {
	var h [5]byte
	h[0] = typ
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	binary.LittleEndian.PutUint32(h[1:], uint32(n))
	c := crc32.Update(0, castagnoli, h[:])
	for _, p := range parts {
		c = crc32.Update(c, castagnoli, p)
	}
	var t [4]byte
	binary.LittleEndian.PutUint32(t[:], c)
	for _, p := range append(append([][]byte{h[:]}, parts...), t[:]) {
		if err := f.raw(p); err != nil {
			return err
		}
	}
	f.frames++
	return nil
}

// write produces the dump.
func (d *Dump) write(w io.Writer, dataFrames uint64) error {
	fw := &frameWriter{w: bufio.NewWriterSize(w, 256<<10)}
	hdr := make([]byte, dumpHeaderLen)
	copy(hdr, DumpMagic)
	binary.LittleEndian.PutUint32(hdr[8:], dumpVersion)
	binary.LittleEndian.PutUint64(hdr[16:], d.Applied)
	binary.LittleEndian.PutUint64(hdr[24:], d.nextObj)
	binary.LittleEndian.PutUint64(hdr[32:], d.records)
	binary.LittleEndian.PutUint64(hdr[40:], dataFrames)
	binary.LittleEndian.PutUint32(hdr[48:], crc32.Checksum(hdr[:48], castagnoli))
	if err := fw.raw(hdr); err != nil {
		return err
	}
	r := bufio.NewReaderSize(d.spool, 1<<20)
	var payload []byte
	for range d.records {
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return fmt.Errorf("localstore: dump: reading the spooled records: %w", err)
		}
		payload = slices.Grow(payload[:0], int(binary.LittleEndian.Uint32(l[:])))[:binary.LittleEndian.Uint32(l[:])]
		if _, err := io.ReadFull(r, payload); err != nil {
			return fmt.Errorf("localstore: dump: reading the spooled records: %w", err)
		}
		if err := fw.frame(frameRecord, payload); err != nil {
			return err
		}
	}
	buf := make([]byte, dumpChunkBlocks*volume.BlockSize)
	var where [dataFrameExtra]byte
	for _, x := range d.data {
		for b := uint64(0); b < x.blocks; b += dumpChunkBlocks {
			n := min(dumpChunkBlocks, x.blocks-b)
			p := buf[:n*volume.BlockSize]
			if err := d.s.vol.ReadBlocks(x.obj, b, p); err != nil {
				return fmt.Errorf("localstore: dump: reading data object %d: %w", x.obj, err)
			}
			binary.LittleEndian.PutUint64(where[0:], x.obj)
			binary.LittleEndian.PutUint64(where[8:], b)
			if err := fw.frame(frameData, where[:], p); err != nil {
				return err
			}
		}
	}
	var end [endPayloadLen]byte
	binary.LittleEndian.PutUint64(end[0:], fw.frames)
	binary.LittleEndian.PutUint32(end[8:], fw.crc)
	if err := fw.frame(frameEnd, end[:]); err != nil {
		return err
	}
	if err := fw.w.Flush(); err != nil {
		return err
	}
	if fw.n != d.Size {
		return fmt.Errorf("localstore: dump: wrote %d bytes, announced %d", fw.n, d.Size)
	}
	return nil
}

// Read reads the dump.
func (d *Dump) Read(p []byte) (int, error) { return d.pr.Read(p) }

// Close stops the dump and lets go of its data.
func (d *Dump) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	d.pr.CloseWithError(errors.New("localstore: dump closed"))
	<-d.done
	d.s.unpin(d.pins)
	return d.spool.Close()
}
