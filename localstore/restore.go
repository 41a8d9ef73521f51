package localstore

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"mapstore/localstore/volume"
	"mapstore/mmio"
)

// restoreCommitBytes is how much a restore writes between commits: it
// bounds what one journal record holds.
const restoreCommitBytes = 16 << 20

// Restore creates a store in opts.Dir, which must hold none, from the dump
// read from r, and returns it open. Every frame's checksum and the whole
// dump's are checked; a dump that does not check out leaves a store that
// is not to be used (its applied index is still zero) and an error
// wrapping ErrDump. The caller makes the new store the current one only
// once Restore has returned it.
func Restore(opts Options, r io.Reader) (*Store, error) {
	s, err := Open(opts)
	if err != nil {
		return nil, err
	}
	applied, err := s.restore(r)
	s.Close()
	if err != nil {
		return nil, err
	}
	if s, err = Open(opts); err != nil {
		return nil, err
	}
	if got := s.Applied(); got != applied {
		s.Close()
		return nil, fmt.Errorf("%w: restored store is at index %d, the dump at %d", ErrDump, got, applied)
	}
	return s, nil
}

// frameReader reads a dump's frames, checking each.
type frameReader struct {
	r      *bufio.Reader
	crc    uint32 // of every byte read so far
	frames uint64
	buf    []byte
}

func (f *frameReader) full(p []byte) error {
	if _, err := io.ReadFull(f.r, p); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: truncated", ErrDump)
		}
		return fmt.Errorf("localstore: reading dump: %w", err)
	}
	f.crc = crc32.Update(f.crc, castagnoli, p)
	return nil
}

// next reads a frame; its payload is valid until the next call.
func (f *frameReader) next() (byte, []byte, uint32, error) {
	before := f.crc
	var h [5]byte
	if err := f.full(h[:]); err != nil {
		return 0, nil, 0, err
	}
	n := binary.LittleEndian.Uint32(h[1:])
	if n > 2*dumpChunkBlocks*volume.BlockSize {
		return 0, nil, 0, fmt.Errorf("%w: frame of %d bytes", ErrDump, n)
	}
	if cap(f.buf) < int(n)+4 {
		f.buf = make([]byte, n+4)
	}
	p := f.buf[:n+4]
	if err := f.full(p); err != nil {
		return 0, nil, 0, err
	}
	c := crc32.Update(crc32.Update(0, castagnoli, h[:]), castagnoli, p[:n])
	if c != binary.LittleEndian.Uint32(p[n:]) {
		return 0, nil, 0, fmt.Errorf("%w: frame %d: checksum mismatch", ErrDump, f.frames)
	}
	f.frames++
	return h[0], p[:n], before, nil
}

// restore fills a new, empty store from a dump.
func (s *Store) restore(r io.Reader) (uint64, error) {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	if s.applied != 0 || len(s.pub.Load().st.buckets) != 0 || len(s.open) != 0 {
		return 0, fmt.Errorf("localstore: restore into %s: %w: the store is not empty", s.opts.Dir, ErrOptions)
	}
	fr := &frameReader{r: bufio.NewReaderSize(r, 1<<20)}
	hdr := make([]byte, dumpHeaderLen)
	if err := fr.full(hdr); err != nil {
		return 0, err
	}
	if string(hdr[:8]) != DumpMagic {
		return 0, fmt.Errorf("%w: not a mapstore dump", ErrDump)
	}
	if v := binary.LittleEndian.Uint32(hdr[8:]); v != dumpVersion {
		return 0, fmt.Errorf("%w: version %d, this build reads %d", ErrDump, v, dumpVersion)
	}
	if crc32.Checksum(hdr[:48], castagnoli) != binary.LittleEndian.Uint32(hdr[48:]) {
		return 0, fmt.Errorf("%w: header checksum mismatch", ErrDump)
	}
	applied := binary.LittleEndian.Uint64(hdr[16:])
	nextObj := binary.LittleEndian.Uint64(hdr[24:])
	records := binary.LittleEndian.Uint64(hdr[32:])
	dataFrames := binary.LittleEndian.Uint64(hdr[40:])
	if nextObj < firstDataObject {
		return 0, fmt.Errorf("%w: next data object %d", ErrDump, nextObj)
	}

	tx := s.vol.Begin()
	pending := 0
	commit := func() error {
		if err := s.vol.Commit(tx); err != nil {
			return fmt.Errorf("localstore: restore: %w", err)
		}
		tx, pending = s.vol.Begin(), 0
		return nil
	}
	defer func() {
		if tx != nil {
			tx.Rollback()
		}
	}()
	var gotRecords, gotData, lastObj, nextBlock uint64
	for {
		typ, p, before, err := fr.next()
		if err != nil {
			return 0, err
		}
		switch typ {
		case frameRecord:
			if err := s.restoreRecord(tx, p); err != nil {
				return 0, err
			}
			gotRecords++
		case frameData:
			if len(p) < dataFrameExtra+volume.BlockSize || (len(p)-dataFrameExtra)%volume.BlockSize != 0 {
				return 0, fmt.Errorf("%w: data frame of %d bytes", ErrDump, len(p))
			}
			obj, first := binary.LittleEndian.Uint64(p), binary.LittleEndian.Uint64(p[8:])
			// Each data object's blocks, in order, objects in order.
			if obj < volume.FirstObject || obj >= nextObj || obj < lastObj ||
				(obj == lastObj && first != nextBlock) || (obj != lastObj && first != 0) {
				return 0, fmt.Errorf("%w: data object %d block %d out of order", ErrDump, obj, first)
			}
			lastObj, nextBlock = obj, first+uint64(len(p)-dataFrameExtra)/volume.BlockSize
			if err := s.vol.WriteBlocks(tx, obj, first, p[dataFrameExtra:]); err != nil {
				return 0, fmt.Errorf("localstore: restore: data object %d: %w", obj, err)
			}
			gotData++
		case frameEnd:
			if len(p) != endPayloadLen || binary.LittleEndian.Uint64(p) != fr.frames-1 ||
				binary.LittleEndian.Uint32(p[8:]) != before {
				return 0, fmt.Errorf("%w: the end does not match what was read", ErrDump)
			}
			if gotRecords != records || gotData != dataFrames {
				return 0, fmt.Errorf("%w: %d records and %d data frames, the header says %d and %d",
					ErrDump, gotRecords, gotData, records, dataFrames)
			}
			s.applied, s.nextObj = applied, nextObj
			if _, err := tx.WriteAt(s.rootBytes(), s.vol.RootOffset()); err != nil {
				return 0, fmt.Errorf("localstore: restore: writing root: %w", err)
			}
			if err := commit(); err != nil {
				return 0, err
			}
			return applied, nil
		default:
			return 0, fmt.Errorf("%w: frame type %#x", ErrDump, typ)
		}
		if pending += len(p); pending >= restoreCommitBytes {
			if err := commit(); err != nil {
				return 0, err
			}
		}
	}
}

// restoreRecord stores a record of a dump as it is.
func (s *Store) restoreRecord(tx *mmio.Tx, p []byte) error {
	if _, err := decodeRecord(p); err != nil {
		return fmt.Errorf("%w: %w", ErrDump, err)
	}
	s.allocMu.Lock()
	defer s.allocMu.Unlock()
	if _, err := s.alloc.MakeRoom(tx, len(p)+64); err != nil {
		return fmt.Errorf("localstore: restore: making room for records: %w", err)
	}
	if _, err := s.putRecord(tx, p); err != nil {
		return fmt.Errorf("localstore: restore: %w", err)
	}
	return nil
}
