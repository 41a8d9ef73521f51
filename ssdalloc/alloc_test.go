package ssdalloc

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// memLog is an in-memory device of segments that carries out what the
// Allocator decides: writing headers and records, and cleaning.
type memLog struct {
	a    *Allocator
	segs [][]byte
	seq  uint64
}

func newMemLog(nseg int) *memLog {
	m := &memLog{a: NewAllocator(nseg), segs: make([][]byte, nseg)}
	for i := range m.segs {
		m.segs[i] = make([]byte, SegmentSize)
	}
	return m
}

// write stores data as id's new record.
func (m *memLog) write(id ObjectID, data []byte, loc Location, opened bool) {
	seg := m.segs[loc.Seg]
	if opened {
		m.seq++
		clear(seg)
		segHeader{seq: m.seq}.encode(seg)
	}
	encodeRecord(seg[loc.Off:], Record{ID: id, Data: data})
}

func (m *memLog) store(id ObjectID, data []byte) error {
	loc, opened, err := m.a.Store(id, len(data))
	if err != nil {
		return err
	}
	m.write(id, data, loc, opened)
	return nil
}

func (m *memLog) read(id ObjectID) ([]byte, error) {
	loc, err := m.a.Where(id)
	if err != nil {
		return nil, err
	}
	r, _, end, err := decodeRecord(m.segs[loc.Seg][loc.Off:])
	if err != nil || end {
		return nil, errors.Join(err, errors.New("no record"))
	}
	if r.ID != id {
		return nil, errors.New("back pointer does not match")
	}
	return r.Data, nil
}

// clean moves the live records out of the best victim.
func (m *memLog) clean() (moved int, err error) {
	v := m.a.Log().Victims(1)
	if len(v) == 0 {
		return 0, errors.New("no victim")
	}
	seg := m.segs[v[0]][:m.a.Log().Used(v[0])]
	_, recs, offs, err := DecodeSegment(seg)
	if err != nil {
		return 0, err
	}
	for i, r := range recs {
		id := r.ID
		if !m.a.Live(v[0], uint32(offs[i]), id) {
			continue
		}
		data := bytes.Clone(r.Data)
		loc, opened, err := m.a.Relocate(id)
		if err != nil {
			return moved, err
		}
		m.write(id, data, loc, opened)
		moved++
	}
	if m.a.Log().Live(v[0]) != 0 {
		return moved, errors.New("victim still has live bytes after cleaning")
	}
	return moved, nil
}

// TestAllocatorModel: allocate, store, rewrite, free and read objects at
// random against a map of their contents, cleaning whenever the log is
// full; every live object always reads back byte-exact with the right
// back pointer.
func TestAllocatorModel(t *testing.T) {
	m := newMemLog(24)
	rng := rand.New(rand.NewPCG(8, 9))
	model := map[ObjectID][]byte{}
	var ids []ObjectID
	cleanings, moved := 0, 0
	randData := func(max int) []byte {
		d := make([]byte, rng.IntN(max))
		for i := range d {
			d[i] = byte(rng.Uint32())
		}
		return d
	}
	storeOrClean := func(id ObjectID, data []byte) {
		for try := 0; ; try++ {
			err := m.store(id, data)
			if err == nil {
				return
			}
			if !errors.Is(err, ErrLogFull) || try > 3 {
				t.Fatalf("store %d: %v", id, err)
			}
			n, err := m.clean()
			if err != nil {
				t.Fatalf("cleaning: %v", err)
			}
			cleanings++
			moved += n
		}
	}
	for step := 0; step < 60000; step++ {
		op := rng.IntN(100)
		if op < 35 && len(ids) > 1500 {
			op = 70 // keep the live data near half the log
		}
		switch {
		case op < 35 || len(ids) == 0: // new object
			data := randData(2000)
			id, err := m.a.Alloc(len(data))
			if err != nil {
				t.Fatal(err)
			}
			storeOrClean(id, data)
			model[id] = data
			ids = append(ids, id)
		case op < 60: // rewrite within its class
			id := ids[rng.IntN(len(ids))]
			c, _ := m.a.pools.Class(id)
			data := randData(classSize(c) + 1)
			storeOrClean(id, data)
			model[id] = data
		case op < 80: // free
			i := rng.IntN(len(ids))
			id := ids[i]
			ids[i] = ids[len(ids)-1]
			ids = ids[:len(ids)-1]
			if err := m.a.Free(id); err != nil {
				t.Fatal(err)
			}
			delete(model, id)
			if _, err := m.a.Where(id); !errors.Is(err, ErrBadID) {
				t.Fatalf("freed id %d still has a location: %v", id, err)
			}
		default: // read
			id := ids[rng.IntN(len(ids))]
			got, err := m.read(id)
			if err != nil || !bytes.Equal(got, model[id]) {
				t.Fatalf("step %d: read %d: %v", step, id, err)
			}
		}
	}
	for id, want := range model {
		if got, err := m.read(id); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("final read %d: %v", id, err)
		}
	}
	if cleanings == 0 {
		t.Fatal("the workload never needed cleaning")
	}
	t.Logf("%d objects, %d cleanings moved %d records", len(model), cleanings, moved)
}

func TestStoreLargerThanClass(t *testing.T) {
	a := NewAllocator(4)
	id, _ := a.Alloc(100)
	if _, _, err := a.Store(id, 600); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("storing 600 bytes in a 512-byte class: %v, want ErrTooLarge", err)
	}
	if _, err := a.Where(id); !errors.Is(err, ErrBadID) {
		t.Fatalf("an object never stored has a location: %v", err)
	}
}
