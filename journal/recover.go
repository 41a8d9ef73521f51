package journal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"mapstore/internal/vfs"
)

// readHeader returns the current header: the valid slot with the highest
// sequence number. found is false when neither slot is valid.
func readHeader(f vfs.File) (h header, found bool, err error) {
	buf := make([]byte, headerLen)
	for slot := int64(0); slot < 2; slot++ {
		if _, err := f.ReadAt(buf, slot*headerSlotSz); err != nil {
			if errors.Is(err, io.EOF) {
				continue // a short file: this slot was never written
			}
			return header{}, false, fmt.Errorf("journal: reading header slot %d of %s: %w", slot, f.Name(), err)
		}
		if s, ok := decodeHeader(buf); ok && (!found || s.seq > h.seq) {
			h, found = s, true
		}
	}
	return h, found, nil
}

// looksFormatted reports whether the record area shows signs of use. A
// journal with no valid header is formatted afresh only if it does not:
// a crash during formatting leaves no records, while two damaged headers
// over live records are corruption that must not be papered over.
func looksFormatted(f vfs.File) (bool, error) {
	buf := make([]byte, sectorSize)
	if _, err := f.ReadAt(buf, dataStart); err != nil {
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		return false, fmt.Errorf("journal: reading %s: %w", f.Name(), err)
	}
	return !bytes.Equal(buf, make([]byte, sectorSize)), nil
}

// scanned is one committed record found by recovery.
type scanned struct {
	lsn     uint64
	pos     int64
	size    int64 // padded
	changes []Change
}

// scan reads the committed records from the header's tail on: each must
// carry the next LSN and a valid checksum, at the position after the
// previous one or, when the writer wrapped, at the start of the record
// area. The first position holding neither is the end of the log; whatever
// lies there (a torn or never-synced record, or stale bytes of an earlier
// lap) is discarded.
func scan(f vfs.File, h header) ([]scanned, error) {
	var out []scanned
	pos, lsn := h.tailPos, h.tailLSN
	hb := make([]byte, recHeaderLen)
	for {
		rec, ok, err := readRecordAt(f, hb, pos, lsn, h.capacity)
		if err != nil {
			return nil, err
		}
		if !ok && pos != dataStart {
			pos = dataStart
			rec, ok, err = readRecordAt(f, hb, pos, lsn, h.capacity)
			if err != nil {
				return nil, err
			}
		}
		if !ok {
			return out, nil
		}
		out = append(out, rec)
		pos += rec.size
		lsn++
	}
}

// readRecordAt reads the record expected at pos with the given LSN. ok is
// false if there is none; err is reserved for read failures.
func readRecordAt(f vfs.File, hb []byte, pos int64, lsn uint64, capacity int64) (scanned, bool, error) {
	if pos+recHeaderLen > capacity {
		return scanned{}, false, nil
	}
	if _, err := f.ReadAt(hb, pos); err != nil {
		return scanned{}, false, fmt.Errorf("journal: reading record header at %d: %w", pos, err)
	}
	rh, ok := decodeRecordHead(hb, capacity-pos)
	if !ok || rh.lsn != lsn {
		return scanned{}, false, nil
	}
	b := make([]byte, rh.size)
	if _, err := f.ReadAt(b, pos); err != nil {
		return scanned{}, false, fmt.Errorf("journal: reading record %d at %d: %w", lsn, pos, err)
	}
	changes, err := decodeRecord(b, rh)
	if err != nil {
		// A record whose header is intact but whose body is not is the
		// torn tail of an interrupted commit: it was never acknowledged.
		return scanned{}, false, nil
	}
	return scanned{lsn: lsn, pos: pos, size: padded(rh.size), changes: changes}, true, nil
}

// replay writes the changes of the records home, in order, and syncs the
// home file.
func replay(dev vfs.File, devSize int64, recs []scanned, log *slog.Logger) error {
	if len(recs) == 0 {
		return nil
	}
	for _, r := range recs {
		for _, c := range r.changes {
			if c.Off+int64(len(c.Data)) > devSize {
				return fmt.Errorf("%w: record %d writes [%d, %d) beyond the %d-byte home file",
					ErrCorrupt, r.lsn, c.Off, c.Off+int64(len(c.Data)), devSize)
			}
			if _, err := dev.WriteAt(c.Data, c.Off); err != nil {
				return fmt.Errorf("journal: replaying record %d: %w", r.lsn, err)
			}
		}
	}
	if err := dev.Datasync(); err != nil {
		return fmt.Errorf("journal: syncing %s after replay: %w", dev.Name(), err)
	}
	log.Info("journal replayed",
		slog.Int("records", len(recs)),
		slog.Uint64("first_lsn", recs[0].lsn),
		slog.Uint64("last_lsn", recs[len(recs)-1].lsn))
	return nil
}
