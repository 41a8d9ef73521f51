package hashfs

import (
	"fmt"
	"sync"

	"mapstore/mmio"
)

// stripeSlots is how many consecutive slots one stripe lock guards.
const stripeSlots = 4096

// pinShards spreads the per-key reader counts over this many locks.
const pinShards = 64

// Translation is the concurrent face of a Durable table, with FlashMap's
// mapping operations: Read (read_mapping), Lock and Unlock
// (lock_mapping/unlock_mapping, used around a relocation) and the
// changes themselves.
//
// # Concurrency
//
// Striped locks, not atomics. Slots are 16 bytes, which no single atomic
// load reads, and a deletion slides entries backward under readers, so a
// lock-free reader could miss an entry in flight. The slots are split into
// stripes of stripeSlots, each with a sync.RWMutex: a lookup read-locks the
// stripes its probe crosses, in ascending order, so lookups in different
// parts of the table never touch the same lock; a change write-locks only
// the stripes it modifies. Changes are serialized by one writer lock: they
// come from the store's single apply loop, and one writer at a time keeps
// each change's plan valid until it is applied. Every acquisition of
// stripes goes in ascending order (a probe that wraps past the last slot
// starts again holding all stripes), so no cycle can form.
//
// # Pins and relocation
//
// A reader pins the key it reads before looking it up and holds the pin
// while it uses the block; the key's slot cannot change meanwhile. A
// deletion that slides other keys first locks each of them, which waits
// for their pins to drain and makes new readers of those keys wait; then
// it copies the blocks, applies the change and unlocks. Readers of other
// keys never wait. A reader must hold at most one pin at a time.
type Translation struct {
	d       *Durable
	writer  sync.Mutex
	stripes []sync.RWMutex
	pins    [pinShards]pinShard

	// frames[slot] is 1 + the DRAM frame holding the slot's block, or 0
	// when the block is only on the device (guarded by the stripes, like
	// the slots). frameBlock is FlashMap's auxiliary index the other way:
	// frame -> device block (-1 when the frame is free).
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
	n := (d.t.n + stripeSlots - 1) / stripeSlots
	tr := &Translation{
		d:          d,
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
	m, ok := tr.lookup(k)
	if !ok {
		release()
		return Mapping{}, nil, fmt.Errorf("%w: object %d block %d", ErrNotFound, k.Obj, k.Block)
	}
	return m, release, nil
}

// Lookup returns k's block without pinning it: the answer may be stale by
// the time it is used. For checks and tools; data access goes through
// Read.
func (tr *Translation) Lookup(k Key) (Mapping, bool) { return tr.lookup(k) }

// lookup probes for k holding the read locks of the stripes it crosses,
// taken in ascending order as the probe reaches them.
func (tr *Translation) lookup(k Key) (Mapping, bool) {
	t := tr.d.t
	i := t.Home(k)
	lo := i / stripeSlots
	hi := lo
	tr.stripes[lo].RLock()
	for probes := int64(0); probes < t.n; probes++ {
		s := i / stripeSlots
		if s > hi { // the probe entered the next stripe
			tr.stripes[s].RLock()
			hi = s
		} else if s < lo {
			// Wrapped past the last slot: taking a lower stripe now would
			// break the order, so start over holding every stripe.
			tr.runlock(lo, hi)
			return tr.lookupAll(k)
		}
		e := &t.slots[i]
		if e.is(k) {
			m := Mapping{Block: i, Frame: int(tr.frames[i]) - 1}
			tr.runlock(lo, hi)
			return m, true
		}
		if !e.used() {
			tr.runlock(lo, hi)
			return Mapping{}, false
		}
		i = t.next(i)
	}
	tr.runlock(lo, hi)
	return Mapping{}, false
}

func (tr *Translation) runlock(lo, hi int64) {
	for s := lo; s <= hi; s++ {
		tr.stripes[s].RUnlock()
	}
}

// lookupAll is lookup holding every stripe.
func (tr *Translation) lookupAll(k Key) (Mapping, bool) {
	for i := range tr.stripes {
		tr.stripes[i].RLock()
	}
	defer func() {
		for i := range tr.stripes {
			tr.stripes[i].RUnlock()
		}
	}()
	i, ok := tr.d.t.Lookup(k)
	if !ok {
		return Mapping{}, false
	}
	return Mapping{Block: i, Frame: int(tr.frames[i]) - 1}, true
}

// lockRange write-locks the stripes covering slots from..to (cyclic) and
// returns the unlock.
func (tr *Translation) lockRange(from, to int64) func() {
	a, b := from/stripeSlots, to/stripeSlots
	if b < a || (b == a && to < from) {
		a, b = 0, int64(len(tr.stripes)-1)
	}
	for s := a; s <= b; s++ {
		tr.stripes[s].Lock()
	}
	return func() {
		for s := a; s <= b; s++ {
			tr.stripes[s].Unlock()
		}
	}
}

// Insert maps k, allocating its block, writing the slot through tx.
func (tr *Translation) Insert(tx *mmio.Tx, k Key) (int64, error) {
	tr.writer.Lock()
	defer tr.writer.Unlock()
	if tr.d.err != nil {
		return 0, tr.d.err
	}
	slot, err := tr.d.t.freeSlotFor(k)
	if err != nil {
		return 0, err
	}
	unlock := tr.lockRange(slot, slot)
	defer unlock()
	return slot, tr.d.insertAt(tx, slot, k)
}

// Delete unmaps k. Each block the deletion slides is handed to relocate
// (copy block m.From to m.To), in order, while the moved keys are locked;
// then the table changes and the slots are written through tx. k itself is
// locked too, so no reader still uses its block when Delete returns.
func (tr *Translation) Delete(tx *mmio.Tx, k Key, relocate func(Move) error) error {
	tr.writer.Lock()
	defer tr.writer.Unlock()
	if tr.d.err != nil {
		return tr.d.err
	}
	t := tr.d.t
	start, moves, err := t.plan(k)
	if err != nil {
		return err
	}
	keys := []Key{k}
	for _, m := range moves {
		keys = append(keys, m.Key)
	}
	for _, key := range keys {
		tr.Lock(key)
	}
	defer func() {
		for _, key := range keys {
			tr.Unlock(key)
		}
	}()
	for _, m := range moves {
		if err := relocate(m); err != nil {
			return fmt.Errorf("hashfs: relocating block %d to %d: %w", m.From, m.To, err)
		}
	}
	end := start
	if len(moves) > 0 {
		end = moves[len(moves)-1].From
	}
	unlock := tr.lockRange(start, end)
	defer unlock()
	if err := tr.d.applyDelete(tx, start, moves); err != nil {
		return err
	}
	// The freed block's frame, if any, is free; moved blocks keep theirs.
	tr.dropFrame(start)
	for _, m := range moves {
		tr.frames[m.To] = tr.frames[m.From]
		tr.frames[m.From] = 0
		if f := tr.frames[m.To] - 1; f >= 0 {
			tr.frameMu.Lock()
			tr.frameBlock[f] = m.To
			tr.frameMu.Unlock()
		}
	}
	return nil
}

// dropFrame forgets the frame of slot i (the caller holds its stripe's
// write lock).
func (tr *Translation) dropFrame(i int64) {
	if f := tr.frames[i] - 1; f >= 0 {
		tr.frameMu.Lock()
		tr.frameBlock[f] = -1
		tr.frameMu.Unlock()
	}
	tr.frames[i] = 0
}

// SetFrame records that the block of k (which the caller has pinned, so
// it cannot move) is now held in DRAM frame f, or with f < 0 that it is
// not: FlashMap's update of the translation when a block is brought in or
// evicted. A frame holds one block: give it up (SetFrame(other, -1))
// before reusing it.
func (tr *Translation) SetFrame(k Key, f int) error {
	if f >= len(tr.frameBlock) {
		return fmt.Errorf("hashfs: frame %d beyond the %d tracked", f, len(tr.frameBlock))
	}
	i, ok := tr.d.t.Lookup(k)
	if !ok {
		return fmt.Errorf("%w: object %d block %d", ErrNotFound, k.Obj, k.Block)
	}
	unlock := tr.lockRange(i, i)
	defer unlock()
	tr.dropFrame(i)
	if f >= 0 {
		tr.frameMu.Lock()
		if old := tr.frameBlock[f]; old >= 0 && old != i {
			tr.frameMu.Unlock()
			return fmt.Errorf("hashfs: frame %d still holds block %d", f, old)
		}
		tr.frameBlock[f] = i
		tr.frameMu.Unlock()
		tr.frames[i] = int32(f) + 1
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
// makes new readers of k wait until Unlock.
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
