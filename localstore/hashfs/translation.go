package hashfs

import (
	"fmt"
	"sync"

	"mapstore/mmio"
)

// stripeShift sets how many consecutive memory indexes (slots in the
// column-major order of the table) one stripe lock guards: 1<<stripeShift,
// 4096.
const stripeShift = 12

// pinShards spreads the per-key reader counts over this many locks.
const pinShards = 64

// Translation is the concurrent face of a Durable table, with FlashMap's
// mapping operations: Read (read_mapping: pin a key and look it up once,
// getting its device block and DRAM frame), Lock and Unlock
// (lock_mapping/unlock_mapping, held around a relocation), SetFrame and
// FrameBlock (the frame side of the mapping), and the changes themselves.
//
// # Concurrency
//
// Striped locks, not atomics. Slots are 16 bytes, which no single atomic
// load reads, and the probe limit a lookup starts from lives in another
// slot than the key it finds, so a lock-free reader could see a limit and
// slots from different moments. The slots, in memory order (column-major,
// see Table), are split into stripes of 4096, each a sync.RWMutex:
//
//   - A lookup read-locks the stripe of its home slot, reads the limit
//     there (which cannot change while that stripe is held), then
//     read-locks the stripes up to the last slot the limit lets it read:
//     consecutive memory of one column, so usually the same stripe. If the
//     probe wraps from the column's last group to its first, taking that
//     lower stripe would break the order: it lets go and starts over
//     holding every stripe of the column, in ascending order. An in-column
//     miss then consults the overflow map under its own read lock, never
//     held together with a stripe, and read-locks the stripe of the slot
//     it names.
//   - An insertion write-locks the stripe of the slot it fills (a probe
//     of another key may read that slot) and the stripe of the key's home
//     (whose limit it raises), in ascending order; an overflow insertion
//     also write-locks the overflow map. A deletion locks the same two:
//     the slot it clears and the home whose limit may shrink.
//   - SetFrame write-locks the stripe of the key's slot: the frames live
//     beside the slots, indexed the same way.
//
// Every acquisition of several stripes goes in ascending order, so no
// cycle can form. Changes are serialized by one writer lock: they come
// from the store's single apply loop, and one writer at a time keeps each
// change's plan (made without stripe locks: only the writer changes
// slots) valid until it is applied.
//
// # Pins and relocation
//
// A reader pins the key it reads before looking it up and holds the pin
// while it uses the block; the key's slot cannot change meanwhile. Lock(k)
// waits for the pins of k to drain and makes new readers of k wait until
// Unlock(k); readers of other keys never wait for it. Deletions move no
// other block, so the only relocations are the ones a caller chooses
// (say, to bring an overflow key home or to make an object contiguous):
// Lock(k), read the block, Delete and Insert k, write the block where
// Insert put it, Unlock(k). A plain Delete of a key that is not locked
// locks it for its duration, so no reader still uses a block when it is
// freed. A reader must hold at most one pin at a time.
type Translation struct {
	d       *Durable
	writer  sync.Mutex
	shift   uint // stripeShift (tests use smaller stripes)
	stripes []sync.RWMutex
	ovMu    sync.RWMutex // guards the table's overflow map against the writer
	pins    [pinShards]pinShard

	// frames[m] is 1 + the DRAM frame holding the block of the slot at
	// memory index m, or 0 when the block is only on the device (guarded
	// by the stripes, like the slots). frameBlock is FlashMap's auxiliary
	// index the other way: frame -> device block (-1 when the frame is
	// free).
	frames     []int32
	frameMu    sync.Mutex
	frameBlock []int64
}

// Mapping is what one lookup says about a block: where it is on the
// device, and whether it is resident in DRAM and in which frame.
type Mapping struct {
	Block int64 // physical block on the device
	Frame int   // DRAM frame holding it, or -1 if it is only on the device
}

type pinShard struct {
	mu     sync.Mutex
	cond   sync.Cond
	pins   map[Key]int
	locked map[Key]bool
}

// NewTranslation wraps d, which must not be used directly afterwards, with
// room to track frames DRAM frames.
func NewTranslation(d *Durable, frames int) *Translation {
	return newTranslation(d, frames, stripeShift)
}

func newTranslation(d *Durable, frames int, shift uint) *Translation {
	n := (d.t.n-1)>>shift + 1
	tr := &Translation{
		d:          d,
		shift:      shift,
		stripes:    make([]sync.RWMutex, n),
		frames:     make([]int32, d.t.n),
		frameBlock: make([]int64, frames),
	}
	for i := range tr.frameBlock {
		tr.frameBlock[i] = -1
	}
	for i := range tr.pins {
		s := &tr.pins[i]
		s.cond.L = &s.mu
		s.pins = map[Key]int{}
		s.locked = map[Key]bool{}
	}
	return tr
}

func (tr *Translation) shard(k Key) *pinShard {
	return &tr.pins[mix(k.Obj, k.Block)%pinShards]
}

// Read pins k and returns its mapping (device block, and DRAM frame if
// resident) in one lookup; release must be called when the caller is done
// with the block. A key being relocated makes Read wait.
func (tr *Translation) Read(k Key) (m Mapping, release func(), err error) {
	s := tr.shard(k)
	s.mu.Lock()
	for s.locked[k] {
		s.cond.Wait()
	}
	s.pins[k]++
	s.mu.Unlock()
	release = func() {
		s.mu.Lock()
		if s.pins[k]--; s.pins[k] == 0 {
			delete(s.pins, k)
			s.cond.Broadcast()
		}
		s.mu.Unlock()
	}
	m, _, ok := tr.lookup(k)
	if !ok {
		release()
		return Mapping{}, nil, fmt.Errorf("%w: object %d block %d", ErrNotFound, k.Obj, k.Block)
	}
	return m, release, nil
}

// Lookup returns k's mapping without pinning it: the answer may be stale
// by the time it is used. For checks and tools; data access goes through
// Read.
func (tr *Translation) Lookup(k Key) (Mapping, bool) {
	m, _, ok := tr.lookup(k)
	return m, ok
}

// Extents is Table.Extents under the stripe locks, one lookup per block
// and without pins: the answer may be stale unless the caller keeps the
// object's blocks from changing (as the storage layer does for an object
// it is reading).
func (tr *Translation) Extents(obj, first, n uint64) []Extent {
	return appendExtents(nil, obj, first, n, func(k Key) (int64, bool) {
		m, _, ok := tr.lookup(k)
		return m.Block, ok
	})
}

// lookup finds k holding the read locks described on Translation, and
// returns its mapping and memory index.
func (tr *Translation) lookup(k Key) (Mapping, int64, bool) {
	t := tr.d.t
	c, g0 := t.locate(k)
	base := c * t.groups
	home := base + g0
	s0 := home >> tr.shift
	tr.stripes[s0].RLock()
	lim := t.ents[home].limit()
	var g int64
	var ok bool
	if g0+lim <= t.groups { // no wrap: stripes s0..s1, ascending
		s1 := (home + max(lim, 1) - 1) >> tr.shift
		for s := s0 + 1; s <= s1; s++ {
			tr.stripes[s].RLock()
		}
		if g, ok = t.probe(k, c, g0, lim); ok {
			m := base + g
			mp := Mapping{Block: g<<t.shift | c, Frame: int(tr.frames[m]) - 1}
			tr.runlock(s0, s1)
			return mp, m, true
		}
		tr.runlock(s0, s1)
	} else {
		// The probe wraps to the column's first group: start over holding
		// all the column's stripes.
		tr.stripes[s0].RUnlock()
		a, b := base>>tr.shift, (base+t.groups-1)>>tr.shift
		for s := a; s <= b; s++ {
			tr.stripes[s].RLock()
		}
		if g, ok = t.probe(k, c, g0, t.ents[home].limit()); ok {
			m := base + g
			mp := Mapping{Block: g<<t.shift | c, Frame: int(tr.frames[m]) - 1}
			tr.runlock(a, b)
			return mp, m, true
		}
		tr.runlock(a, b)
	}
	return tr.lookupOverflow(k)
}

// lookupOverflow looks k up in the overflow map, then reads its slot under
// the slot's stripe (not holding the map's lock meanwhile), checking that
// k is still there.
func (tr *Translation) lookupOverflow(k Key) (Mapping, int64, bool) {
	t := tr.d.t
	tr.ovMu.RLock()
	m, ok := t.overflow[k]
	tr.ovMu.RUnlock()
	if !ok {
		return Mapping{}, 0, false
	}
	s := m >> tr.shift
	tr.stripes[s].RLock()
	defer tr.stripes[s].RUnlock()
	if e := t.ents[m]; !e.used() || e.key() != k {
		return Mapping{}, 0, false // deleted meanwhile (only an unpinned lookup sees this)
	}
	return Mapping{Block: t.phys(m), Frame: int(tr.frames[m]) - 1}, m, true
}

func (tr *Translation) runlock(lo, hi int64) {
	for s := lo; s <= hi; s++ {
		tr.stripes[s].RUnlock()
	}
}

// lockSlots write-locks the stripes of memory indexes a and b, in
// ascending order, and returns the unlock.
func (tr *Translation) lockSlots(a, b int64) func() {
	sa, sb := a>>tr.shift, b>>tr.shift
	if sb < sa {
		sa, sb = sb, sa
	}
	tr.stripes[sa].Lock()
	if sb != sa {
		tr.stripes[sb].Lock()
	}
	return func() {
		if sb != sa {
			tr.stripes[sb].Unlock()
		}
		tr.stripes[sa].Unlock()
	}
}

// Insert maps k, allocating its block, and writes the slot through tx.
func (tr *Translation) Insert(tx *mmio.Tx, k Key) (int64, error) {
	tr.writer.Lock()
	defer tr.writer.Unlock()
	if tr.d.err != nil {
		return 0, tr.d.err
	}
	t := tr.d.t
	in, err := t.planInsert(k)
	if err != nil {
		return 0, err
	}
	unlock := tr.lockSlots(in.m, in.home)
	if in.over {
		tr.ovMu.Lock()
	}
	p := t.applyInsert(in, k)
	if in.over {
		tr.ovMu.Unlock()
	}
	unlock()
	// Only the writer changes slots, so it reads them without locks.
	return p, tr.d.write(tx, in.m)
}

// Delete unmaps k, freeing its block, and writes the cleared slot through
// tx. No other block moves. If k is not locked, Delete locks it for its
// duration (waiting for its readers); within a relocation the caller
// already holds Lock(k). A frame the block had is freed.
func (tr *Translation) Delete(tx *mmio.Tx, k Key) error {
	tr.writer.Lock()
	defer tr.writer.Unlock()
	if tr.d.err != nil {
		return tr.d.err
	}
	t := tr.d.t
	del, err := t.planDelete(k)
	if err != nil {
		return err
	}
	defer tr.hold(k)()
	unlock := tr.lockSlots(del.m, del.home)
	if del.over {
		tr.ovMu.Lock()
	}
	t.applyDelete(del)
	if del.over {
		tr.ovMu.Unlock()
	}
	tr.dropFrame(del.m)
	unlock()
	return tr.d.write(tx, del.m)
}

// hold locks k unless it is locked already (by the caller, relocating
// it), and returns what undoes that.
func (tr *Translation) hold(k Key) func() {
	s := tr.shard(k)
	s.mu.Lock()
	if s.locked[k] {
		s.mu.Unlock()
		return func() {}
	}
	s.locked[k] = true
	for s.pins[k] > 0 {
		s.cond.Wait()
	}
	s.mu.Unlock()
	return func() { tr.Unlock(k) }
}

// dropFrame forgets the frame of the slot at memory index m (the caller
// holds its stripe's write lock).
func (tr *Translation) dropFrame(m int64) {
	if f := tr.frames[m] - 1; f >= 0 {
		tr.frameMu.Lock()
		tr.frameBlock[f] = -1
		tr.frameMu.Unlock()
	}
	tr.frames[m] = 0
}

// SetFrame records that the block of k (which the caller has pinned or
// locked, so it cannot move) is now held in DRAM frame f, or with f < 0
// that it is not: FlashMap's update of the translation when a block is
// brought in or evicted. A frame holds one block: give it up
// (SetFrame(other, -1)) before reusing it. A relocation that keeps the
// block in DRAM sets the frame again after its Insert (the Delete freed
// it).
func (tr *Translation) SetFrame(k Key, f int) error {
	if f >= len(tr.frameBlock) {
		return fmt.Errorf("hashfs: frame %d beyond the %d tracked", f, len(tr.frameBlock))
	}
	t := tr.d.t
	_, m, ok := tr.lookup(k)
	if ok {
		s := m >> tr.shift
		tr.stripes[s].Lock()
		defer tr.stripes[s].Unlock()
		e := t.ents[m]
		ok = e.used() && e.key() == k
	}
	if !ok {
		return fmt.Errorf("%w: object %d block %d", ErrNotFound, k.Obj, k.Block)
	}
	p := t.phys(m)
	if f >= 0 {
		tr.frameMu.Lock()
		if old := tr.frameBlock[f]; old >= 0 && old != p {
			tr.frameMu.Unlock()
			return fmt.Errorf("hashfs: frame %d still holds block %d", f, old)
		}
		tr.frameMu.Unlock()
	}
	tr.dropFrame(m)
	if f >= 0 {
		tr.frameMu.Lock()
		tr.frameBlock[f] = p
		tr.frameMu.Unlock()
		tr.frames[m] = int32(f) + 1
	}
	return nil
}

// FrameBlock returns the device block frame f holds, or -1: the auxiliary
// frame -> block index.
func (tr *Translation) FrameBlock(f int) int64 {
	tr.frameMu.Lock()
	defer tr.frameMu.Unlock()
	return tr.frameBlock[f]
}

// Lock marks k as being relocated: it waits until no reader holds k and
// makes new readers of k wait until Unlock. Readers of other keys do not
// wait.
func (tr *Translation) Lock(k Key) {
	s := tr.shard(k)
	s.mu.Lock()
	for s.locked[k] {
		s.cond.Wait()
	}
	s.locked[k] = true
	for s.pins[k] > 0 {
		s.cond.Wait()
	}
	s.mu.Unlock()
}

// Unlock ends Lock.
func (tr *Translation) Unlock(k Key) {
	s := tr.shard(k)
	s.mu.Lock()
	delete(s.locked, k)
	s.cond.Broadcast()
	s.mu.Unlock()
}
