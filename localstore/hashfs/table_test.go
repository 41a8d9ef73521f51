package hashfs

import (
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// checkTable verifies the table against the model by scanning every slot:
// each key of the model is in exactly the block the model says and no
// block holds a key the model lacks (no double ownership); the count of
// used slots, Len and the per-column free counts match (no leak: every
// slot not in use is free); every probe limit is exactly 1 + the largest
// displacement of the in-column keys of its home; the overflow map holds
// exactly the keys not at a legal in-column position; and every key is
// found by Lookup.
func checkTable(t *testing.T, tb *Table, model map[Key]int64) {
	t.Helper()
	seen := make(map[Key]int64, len(model))
	limits := make([]int64, tb.n)
	over := map[Key]int64{}
	free := make([]int64, tb.run)
	var used int64
	for m := int64(0); m < tb.n; m++ {
		c, g := m/tb.groups, m%tb.groups
		e := tb.ents[m]
		if !e.used() {
			if e.obj != 0 || e.blk&keyMask != 0 {
				t.Fatalf("free slot %d holds data %#x %#x", m, e.obj, e.blk)
			}
			free[c]++
			continue
		}
		used++
		k := e.key()
		p := g<<tb.shift | c
		if prev, dup := seen[k]; dup {
			t.Fatalf("key %v in blocks %d and %d", k, prev, p)
		}
		seen[k] = p
		want, in := model[k]
		if !in {
			t.Fatalf("block %d holds %v, which is not mapped", p, k)
		}
		if want != p {
			t.Fatalf("%v is in block %d, the model says %d", k, p, want)
		}
		kc, g0 := tb.locate(k)
		d := (g - g0 + tb.groups) % tb.groups
		if kc != c || d > tb.maxDisp {
			over[k] = m
			continue
		}
		home := kc*tb.groups + g0
		limits[home] = max(limits[home], d+1)
	}
	if used != int64(len(model)) || tb.Len() != used {
		t.Fatalf("%d slots used, Len %d, model %d", used, tb.Len(), len(model))
	}
	if !slices.Equal(free, tb.free) {
		t.Fatalf("free counts %v, the slots say %v", tb.free, free)
	}
	fm := newFreeMap(tb.n)
	for m := int64(0); m < tb.n; m++ {
		if tb.ents[m].used() {
			fm.take(m)
		}
	}
	if !slices.Equal(fm.words, tb.fm.words) || !slices.Equal(fm.sum, tb.fm.sum) {
		t.Fatal("the free-slot bitmap disagrees with the slots")
	}
	for m := range limits {
		if got := tb.ents[m].limit(); got != limits[m] {
			t.Fatalf("slot %d: limit %d, its keys need %d", m, got, limits[m])
		}
	}
	if !maps.Equal(over, tb.overflow) {
		t.Fatalf("overflow map has %d keys, %d keys are out of their columns' reach", len(tb.overflow), len(over))
	}
	for k, p := range model {
		if got, ok := tb.Lookup(k); !ok || got != p {
			t.Fatalf("lookup %v: %d, %v; want %d", k, got, ok, p)
		}
	}
}

// checkRebuild checks that the table loaded from its stored form (the
// keys only, as LoadDurable sees them) is the table in memory: same
// limits, same overflow map, same free counts.
func checkRebuild(t *testing.T, tb *Table) {
	t.Helper()
	re, err := New(tb.n, int(tb.run))
	if err != nil {
		t.Fatal(err)
	}
	re.maxDisp = tb.maxDisp
	for m, e := range tb.ents {
		re.ents[m] = e.stored()
	}
	if err := re.rebuild(); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	if !slices.Equal(re.ents, tb.ents) {
		t.Fatal("rebuilt slots or limits differ from the table in memory")
	}
	if !maps.Equal(re.overflow, tb.overflow) || !slices.Equal(re.free, tb.free) || re.used != tb.used ||
		!slices.Equal(re.fm.words, tb.fm.words) || !slices.Equal(re.fm.sum, tb.fm.sum) {
		t.Fatalf("rebuilt overflow %d keys / free %v / used %d; in memory %d / %v / %d",
			len(re.overflow), re.free, re.used, len(tb.overflow), tb.free, tb.used)
	}
}

// tableModel drives a Table and the model map together.
type tableModel struct {
	tb    *Table
	model map[Key]int64
	keys  []Key
	rng   *rand.Rand
}

func newTableModel(t *testing.T, n int64, run int, seed uint64) *tableModel {
	t.Helper()
	tb, err := New(n, run)
	if err != nil {
		t.Fatal(err)
	}
	return &tableModel{tb: tb, model: map[Key]int64{}, rng: rand.New(rand.NewPCG(seed, 3))}
}

// insert inserts k and checks the answer against the model: ErrExists for
// a mapped key, a block no other key owns otherwise. It returns the error
// of a failed insert of an unmapped key.
func (tm *tableModel) insert(t *testing.T, k Key) error {
	t.Helper()
	p, err := tm.tb.Insert(k)
	if _, had := tm.model[k]; had {
		if !errors.Is(err, ErrExists) {
			t.Fatalf("insert of mapped %v: %v, want ErrExists", k, err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if owner, ok := tm.tb.At(p); !ok || owner != k {
		t.Fatalf("insert %v: block %d holds %v", k, p, owner)
	}
	tm.model[k] = p
	tm.keys = append(tm.keys, k)
	return nil
}

// deleteRandom deletes a random mapped key and checks that it is gone and
// that its block is free.
func (tm *tableModel) deleteRandom(t *testing.T) {
	t.Helper()
	i := tm.rng.IntN(len(tm.keys))
	k := tm.keys[i]
	tm.keys[i] = tm.keys[len(tm.keys)-1]
	tm.keys = tm.keys[:len(tm.keys)-1]
	if err := tm.tb.Delete(k); err != nil {
		t.Fatalf("delete %v: %v", k, err)
	}
	if _, used := tm.tb.At(tm.model[k]); used {
		t.Fatalf("block %d of deleted %v still in use", tm.model[k], k)
	}
	delete(tm.model, k)
	if _, ok := tm.tb.Lookup(k); ok {
		t.Fatalf("%v still found after its deletion", k)
	}
	if err := tm.tb.Delete(k); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete of %v: %v, want ErrNotFound", k, err)
	}
}

// fill inserts distinct new keys (whole runs of fresh objects) until the
// table holds target keys; every insert must succeed.
func (tm *tableModel) fill(t *testing.T, target int64, obj *uint64) {
	t.Helper()
	for tm.tb.Len() < target {
		*obj++
		n := 1 + tm.rng.IntN(int(2*tm.tb.run))
		for b := 0; b < n && tm.tb.Len() < target; b++ {
			if err := tm.insert(t, Key{Obj: *obj, Block: uint64(b)}); err != nil {
				t.Fatalf("insert at %d of %d blocks: %v", tm.tb.Len(), tm.tb.n, err)
			}
		}
	}
}

// TestModel runs random inserts, lookups and deletes against a plain map,
// filling the table to a load of 0.95 and draining it again, several
// times, then fills it to every block.
func TestModel(t *testing.T) {
	for _, run := range []int{1, 8, 256} {
		t.Run("run="+strconv.Itoa(run), func(t *testing.T) {
			const n = 4096
			tm := newTableModel(t, n, run, uint64(run))
			randomKey := func() Key {
				// A few objects with dense block ranges, like real data.
				return Key{Obj: uint64(tm.rng.IntN(16)), Block: uint64(tm.rng.IntN(1024))}
			}
			for cycle := 0; cycle < 3; cycle++ {
				for tm.tb.Len() < n*95/100 {
					if len(tm.keys) > 0 && tm.rng.IntN(4) == 0 {
						tm.deleteRandom(t)
						continue
					}
					if err := tm.insert(t, randomKey()); err != nil {
						t.Fatalf("insert at load %d/%d: %v", tm.tb.Len(), n, err)
					}
				}
				checkTable(t, tm.tb, tm.model)
				if _, ok := tm.tb.Lookup(Key{Obj: 999, Block: 1}); ok {
					t.Fatal("lookup of an unmapped key succeeded")
				}
				for tm.tb.Len() > n*30/100 {
					tm.deleteRandom(t)
				}
				checkTable(t, tm.tb, tm.model)
			}
			// To the last block: ErrFull only then.
			for tm.tb.Len() < n {
				if err := tm.insert(t, randomKey()); err != nil {
					t.Fatalf("insert at %d of %d blocks: %v", tm.tb.Len(), n, err)
				}
			}
			if err := tm.insert(t, Key{Obj: 999, Block: 1}); !errors.Is(err, ErrFull) {
				t.Fatalf("insert into a full table: %v, want ErrFull", err)
			}
			checkTable(t, tm.tb, tm.model)
			checkRebuild(t, tm.tb)
			t.Logf("full: %d overflow keys", tm.tb.Overflow())
		})
	}
}

// TestChurnNoLeak: many random insert/delete cycles at loads 0.95 and 1
// (where columns fill and keys overflow), then no block is owned twice,
// Len matches, the table rebuilds to itself, and every free block can be
// allocated again: the table fills to exactly n.
func TestChurnNoLeak(t *testing.T) {
	for _, run := range []int{8, 256} {
		for _, load := range []float64{0.95, 1} {
			t.Run("run="+strconv.Itoa(run)+"/load="+strconv.FormatFloat(load, 'f', 2, 64), func(t *testing.T) {
				const n = 1 << 13
				tm := newTableModel(t, n, run, uint64(run)+uint64(load*100))
				var obj uint64
				tm.fill(t, int64(load*n), &obj)
				for range 4 * n {
					tm.deleteRandom(t)
					// Half the time a new object's block, else the next
					// block of an existing object (an append).
					k := Key{Obj: obj + 1, Block: uint64(tm.rng.IntN(64))}
					if tm.rng.IntN(2) == 0 {
						obj++
					} else {
						k = tm.keys[tm.rng.IntN(len(tm.keys))]
						for {
							if _, had := tm.model[k]; !had {
								break
							}
							k.Block++
						}
					}
					if err := tm.insert(t, k); err != nil {
						t.Fatalf("insert %v at %d of %d blocks: %v", k, tm.tb.Len(), n, err)
					}
				}
				checkTable(t, tm.tb, tm.model)
				checkRebuild(t, tm.tb)
				over := tm.tb.Overflow()
				tm.fill(t, n, &obj)
				if _, err := tm.tb.Insert(Key{Obj: obj + 1}); !errors.Is(err, ErrFull) {
					t.Fatalf("insert with every block allocated: %v, want ErrFull", err)
				}
				checkTable(t, tm.tb, tm.model)
				t.Logf("%d overflow keys after churn, %d when full", over, tm.tb.Overflow())
			})
		}
	}
}

// TestOverflowReach shrinks the reach of the columns to 3 groups, so that
// many keys overflow at ordinary loads, and runs the model through fills,
// churn and drains: overflow keys are found, deleted and rebuilt like the
// others.
func TestOverflowReach(t *testing.T) {
	const n = 4096
	tm := newTableModel(t, n, 8, 77)
	tm.tb.maxDisp = 2
	var obj uint64
	for cycle := 0; cycle < 3; cycle++ {
		tm.fill(t, n*9/10, &obj)
		for range n {
			tm.deleteRandom(t)
			obj++
			if err := tm.insert(t, Key{Obj: obj, Block: uint64(tm.rng.IntN(100))}); err != nil {
				t.Fatal(err)
			}
		}
		checkTable(t, tm.tb, tm.model)
		checkRebuild(t, tm.tb)
		if tm.tb.Overflow() == 0 {
			t.Fatal("no key overflowed: the test tested nothing")
		}
		t.Logf("cycle %d: %d overflow keys", cycle, tm.tb.Overflow())
		for tm.tb.Len() > n/10 {
			tm.deleteRandom(t)
		}
		checkTable(t, tm.tb, tm.model)
	}
	tm.fill(t, n, &obj)
	checkTable(t, tm.tb, tm.model)
	for len(tm.keys) > 0 {
		tm.deleteRandom(t)
	}
	checkTable(t, tm.tb, tm.model)
	if tm.tb.Overflow() != 0 {
		t.Fatalf("%d overflow keys in an empty table", tm.tb.Overflow())
	}
}

// TestDeleteMovesNothing: a deletion changes only the deleted key's slot
// (and limits, which are not data), and its block is free at once: in a
// full table, the next insertion takes exactly that block.
func TestDeleteMovesNothing(t *testing.T) {
	const n = 2048
	tm := newTableModel(t, n, 8, 5)
	var obj uint64
	tm.fill(t, n, &obj)
	for range 200 {
		before := make([]entry, n)
		for m, e := range tm.tb.ents {
			before[m] = e.stored()
		}
		k := tm.keys[tm.rng.IntN(len(tm.keys))]
		freed := tm.model[k]
		if err := tm.tb.Delete(k); err != nil {
			t.Fatal(err)
		}
		for m, e := range tm.tb.ents {
			if p := tm.tb.phys(int64(m)); p != freed && e.stored() != before[m] {
				t.Fatalf("deleting %v (block %d) changed block %d", k, freed, p)
			}
		}
		delete(tm.model, k)
		tm.keys = slices.DeleteFunc(tm.keys, func(x Key) bool { return x == k })
		obj++
		nk := Key{Obj: obj, Block: uint64(tm.rng.IntN(1000))}
		if err := tm.insert(t, nk); err != nil {
			t.Fatal(err)
		}
		if tm.model[nk] != freed {
			t.Fatalf("insert into a full table but one block %d took block %d", freed, tm.model[nk])
		}
	}
	checkTable(t, tm.tb, tm.model)
}

// TestRunsStayContiguous: on an empty table, each run of an object of
// 4·R blocks lies in one group, in at most two pieces (one if the run's
// rotation is 0), and Extents reports exactly those pieces.
func TestRunsStayContiguous(t *testing.T) {
	const run = 256
	tb, _ := New(1<<16, run)
	const obj = 42
	for b := uint64(0); b < 4*run; b++ {
		if _, err := tb.Insert(Key{Obj: obj, Block: b}); err != nil {
			t.Fatal(err)
		}
	}
	var total int
	for r := uint64(0); r < 4; r++ {
		exts := tb.Extents(obj, r*run, run)
		if len(exts) > 2 {
			t.Fatalf("run %d in %d pieces: %v", r, len(exts), exts)
		}
		var blocks int64
		for _, x := range exts {
			for i := int64(0); i < x.Len; i++ {
				p, ok := tb.Lookup(Key{Obj: obj, Block: x.Logical + uint64(i)})
				if !ok || p != x.Block+i {
					t.Fatalf("extent %+v: block %d is at %d, %v", x, x.Logical+uint64(i), p, ok)
				}
				if p>>8 != exts[0].Block>>8 {
					t.Fatalf("run %d spans groups %d and %d", r, exts[0].Block>>8, p>>8)
				}
			}
			blocks += x.Len
		}
		if blocks != run {
			t.Fatalf("run %d: extents cover %d blocks", r, blocks)
		}
		total += len(exts)
	}
	if got := tb.Extents(obj, 0, 4*run); len(got) != total {
		t.Fatalf("Extents of the whole object: %d pieces, %d run by run", len(got), total)
	}
	// A small object: one run, at most two pieces.
	for b := uint64(0); b < 10; b++ {
		tb.Insert(Key{Obj: 7, Block: b})
	}
	if exts := tb.Extents(7, 0, 10); len(exts) > 2 {
		t.Fatalf("10-block object in %d pieces", len(exts))
	}
}

// TestExtents: unmapped blocks split extents and are left out; ranges
// past the logical space are cut.
func TestExtents(t *testing.T) {
	tb, _ := New(1<<12, 16)
	for b := uint64(0); b < 48; b++ {
		tb.Insert(Key{Obj: 3, Block: b})
	}
	tb.Delete(Key{Obj: 3, Block: 20})
	exts := tb.Extents(3, 10, 30)
	var covered int64
	for i, x := range exts {
		if x.Logical <= 20 && 20 < x.Logical+uint64(x.Len) {
			t.Fatalf("extent %+v covers the deleted block", x)
		}
		if i > 0 && x.Logical < exts[i-1].Logical+uint64(exts[i-1].Len) {
			t.Fatalf("extents out of order: %v", exts)
		}
		covered += x.Len
	}
	if covered != 29 {
		t.Fatalf("extents %v cover %d blocks, want 29", exts, covered)
	}
	if len(tb.Extents(3, 100, 10)) != 0 || len(tb.Extents(3, MaxBlock+1, 10)) != 0 {
		t.Fatal("extents of unmapped ranges")
	}
	tb.Insert(Key{Obj: 4, Block: MaxBlock})
	if exts := tb.Extents(4, MaxBlock-1, ^uint64(0)); len(exts) != 1 || exts[0].Logical != MaxBlock {
		t.Fatalf("extents at the end of the logical space: %v", exts)
	}
}

// TestProbeLengthStaysShort guards the point of the layout and of the
// probe order: at a load of 0.9, lookups compare a few slots and read
// about two cache lines (whole runs colliding made the old layout read 37
// slots; a front-to-back scan of the columns compares 5.5).
func TestProbeLengthStaysShort(t *testing.T) {
	const n = 1 << 16
	tm := newTableModel(t, n, 256, 1)
	var obj uint64
	tm.fill(t, n*9/10, &obj)
	var probes, lines int64
	for k := range tm.model {
		probes += tm.tb.ProbeLength(k)
		lines += probeLines(tm.tb, k)
	}
	mp, ml := float64(probes)/float64(len(tm.model)), float64(lines)/float64(len(tm.model))
	if mp > 4 || ml > 2.5 {
		t.Fatalf("at a load of 0.9 lookups compare %.2f slots and read %.2f lines", mp, ml)
	}
	t.Logf("mean probe length %.2f, %.2f lines", mp, ml)
}

func TestBadArguments(t *testing.T) {
	if _, err := New(100, 3); err == nil {
		t.Error("run length 3 accepted")
	}
	if _, err := New(100, 8); err == nil {
		t.Error("100 slots with runs of 8 accepted")
	}
	tb, _ := New(64, 8)
	if _, err := tb.Insert(Key{Block: MaxBlock + 1}); !errors.Is(err, ErrBlockRange) {
		t.Errorf("block beyond 48 bits: %v, want ErrBlockRange", err)
	}
}

// TestFreeMap checks next and nextCyclic against a plain slice of flags,
// on a map whose size is not a multiple of a word or a summary word,
// from sparse to nearly full.
func TestFreeMap(t *testing.T) {
	const n = 3*4096 + 77
	f := newFreeMap(n)
	free := make([]bool, n)
	for i := range free {
		free[i] = true
	}
	rng := rand.New(rand.NewPCG(4, 4))
	want := func(from, to int64) int64 {
		for m := from; m < to; m++ {
			if free[m] {
				return m
			}
		}
		return -1
	}
	for round := 0; round < 60; round++ {
		// Take slots until a share of them is used, then give some back.
		share := float64(round%20) / 20
		for m := range free {
			if rng.Float64() < share {
				if free[m] {
					f.take(int64(m))
					free[m] = false
				}
			} else if !free[m] && rng.IntN(4) == 0 {
				f.give(int64(m))
				free[m] = true
			}
		}
		for range 200 {
			from := rng.Int64N(n)
			to := from + rng.Int64N(n-from+1)
			if got, w := f.next(from, to), want(from, to); got != w {
				t.Fatalf("next(%d, %d) = %d, want %d", from, to, got, w)
			}
			lo := rng.Int64N(n)
			hi := lo + 1 + rng.Int64N(n-lo)
			start := lo + rng.Int64N(hi-lo)
			d := rng.Int64N(hi - lo + 1)
			w := want(start, min(start+d, hi))
			if w < 0 && start+d > hi {
				w = want(lo, lo+start+d-hi)
			}
			if got := f.nextCyclic(lo, hi, start, d); got != w {
				t.Fatalf("nextCyclic(%d, %d, %d, %d) = %d, want %d", lo, hi, start, d, got, w)
			}
		}
	}
	// Full: nothing to find.
	for m := range free {
		if free[m] {
			f.take(int64(m))
		}
	}
	if got := f.next(0, n); got != -1 {
		t.Fatalf("next in a full map: %d", got)
	}
}
