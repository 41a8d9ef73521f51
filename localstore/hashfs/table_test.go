package hashfs

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// checkInvariants verifies the table against the model: every key of the
// model is found in exactly one slot, reachable from its home without
// crossing an empty slot; no slot holds a key the model lacks; the count
// of used slots matches. It is the "no double ownership, no leak" check:
// a slot (block) belongs to at most one key, and every slot not in use is
// free.
func checkInvariants(t *testing.T, tb *Table, model map[Key]int64) {
	t.Helper()
	seen := make(map[Key]int64, len(model))
	var used int64
	for i := int64(0); i < tb.Slots(); i++ {
		k, ok := tb.At(i)
		if !ok {
			continue
		}
		used++
		if prev, dup := seen[k]; dup {
			t.Fatalf("key %v in slots %d and %d", k, prev, i)
		}
		seen[k] = i
		slot, in := model[k]
		if !in {
			t.Fatalf("slot %d holds %v, which is not mapped", i, k)
		}
		if slot != i {
			t.Fatalf("%v is in slot %d, the model says %d", k, i, slot)
		}
		// No empty slot between home and i.
		for j := tb.Home(k); j != i; j = tb.next(j) {
			if _, ok := tb.At(j); !ok {
				t.Fatalf("%v in slot %d is cut off from its home %d by empty slot %d", k, i, tb.Home(k), j)
			}
		}
	}
	if used != int64(len(model)) || tb.Len() != used {
		t.Fatalf("%d slots used, Len %d, model %d", used, tb.Len(), len(model))
	}
}

// TestModel runs random inserts, lookups and deletes (with their moves
// applied to the model, as the storage layer would relocate blocks)
// against a plain map, filling the table to a load factor of 0.95 and
// draining it again, several times.
func TestModel(t *testing.T) {
	for _, run := range []int{1, 8, 64} {
		t.Run("run="+strconv.Itoa(run), func(t *testing.T) {
			const n = 4096
			tb, err := New(n, run)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(uint64(run), 3))
			model := map[Key]int64{}
			var keys []Key
			randomKey := func() Key {
				// A few objects with dense block ranges, like real data.
				return Key{Obj: uint64(rng.IntN(16)), Block: uint64(rng.IntN(1024))}
			}
			for cycle := 0; cycle < 3; cycle++ {
				// Fill to 0.95 with some deletes mixed in.
				for tb.Len() < n*95/100 {
					if len(keys) > 0 && rng.IntN(4) == 0 {
						deleteOne(t, tb, model, &keys, rng)
						continue
					}
					k := randomKey()
					slot, err := tb.Insert(k)
					if _, had := model[k]; had {
						if !errors.Is(err, ErrExists) {
							t.Fatalf("insert of mapped %v: %v, want ErrExists", k, err)
						}
						continue
					}
					if err != nil {
						t.Fatalf("insert %v at load %d/%d: %v", k, tb.Len(), n, err)
					}
					model[k] = slot
					keys = append(keys, k)
				}
				checkInvariants(t, tb, model)
				for _, k := range keys {
					if slot, ok := tb.Lookup(k); !ok || slot != model[k] {
						t.Fatalf("lookup %v: %d, %v; want %d", k, slot, ok, model[k])
					}
				}
				if _, ok := tb.Lookup(Key{Obj: 999, Block: 1}); ok {
					t.Fatal("lookup of an unmapped key succeeded")
				}
				// Drain to 0.3.
				for tb.Len() > n*30/100 {
					deleteOne(t, tb, model, &keys, rng)
				}
				checkInvariants(t, tb, model)
			}
		})
	}
}

// deleteOne deletes a random mapped key and applies the moves to the model.
func deleteOne(t *testing.T, tb *Table, model map[Key]int64, keys *[]Key, rng *rand.Rand) {
	t.Helper()
	i := rng.IntN(len(*keys))
	k := (*keys)[i]
	(*keys)[i] = (*keys)[len(*keys)-1]
	*keys = (*keys)[:len(*keys)-1]
	moves, err := tb.Delete(k)
	if err != nil {
		t.Fatalf("delete %v: %v", k, err)
	}
	freed := model[k]
	delete(model, k)
	for _, m := range moves {
		if model[m.Key] != m.From {
			t.Fatalf("move of %v from %d, but it was in %d", m.Key, m.From, model[m.Key])
		}
		if m.To != freed {
			t.Fatalf("move of %v to %d, but the free slot is %d", m.Key, m.To, freed)
		}
		model[m.Key] = m.To
		freed = m.From
	}
	if _, err := tb.Delete(k); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete of %v: %v, want ErrNotFound", k, err)
	}
}

// TestFullAndDrain fills every slot, checks ErrFull, then deletes
// everything: every block must be allocatable again (no leak).
func TestFullAndDrain(t *testing.T) {
	const n = 1024
	tb, _ := New(n, 8)
	model := map[Key]int64{}
	var keys []Key
	for b := uint64(0); b < n; b++ {
		k := Key{Obj: b % 7, Block: b}
		slot, err := tb.Insert(k)
		if err != nil {
			t.Fatalf("insert %d of %d: %v", b, n, err)
		}
		model[k] = slot
		keys = append(keys, k)
	}
	if _, err := tb.Insert(Key{Obj: 99, Block: 0}); !errors.Is(err, ErrFull) {
		t.Fatalf("insert into a full table: %v, want ErrFull", err)
	}
	checkInvariants(t, tb, model)
	rng := rand.New(rand.NewPCG(1, 1))
	for len(keys) > 0 {
		deleteOne(t, tb, model, &keys, rng)
	}
	for i := int64(0); i < n; i++ {
		if _, used := tb.At(i); used {
			t.Fatalf("slot %d still used after deleting everything", i)
		}
	}
	for b := uint64(0); b < n; b++ {
		if _, err := tb.Insert(Key{Obj: 5, Block: b}); err != nil {
			t.Fatalf("re-insert %d: %v", b, err)
		}
	}
}

// TestRunsStayContiguous: the blocks of an object inserted into an empty
// table sit in consecutive slots run by run.
func TestRunsStayContiguous(t *testing.T) {
	tb, _ := New(1<<16, 64)
	for b := uint64(0); b < 640; b++ {
		if _, err := tb.Insert(Key{Obj: 42, Block: b}); err != nil {
			t.Fatal(err)
		}
	}
	for b := uint64(1); b < 640; b++ {
		prev, _ := tb.Lookup(Key{Obj: 42, Block: b - 1})
		cur, _ := tb.Lookup(Key{Obj: 42, Block: b})
		if b%64 != 0 && cur != prev+1 {
			t.Fatalf("block %d in slot %d, block %d in slot %d: run broken", b-1, prev, b, cur)
		}
	}
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

// TestPlanDelete: PlanDelete changes nothing and predicts exactly the
// moves Delete then makes, up to a full table.
func TestPlanDelete(t *testing.T) {
	const n = 512
	tb, _ := New(n, 8)
	rng := rand.New(rand.NewPCG(9, 9))
	var keys []Key
	for len(keys) < n {
		k := Key{Obj: uint64(rng.IntN(20)), Block: uint64(rng.IntN(100))}
		if _, err := tb.Insert(k); err == nil {
			keys = append(keys, k)
		}
	}
	for len(keys) > 0 {
		i := rng.IntN(len(keys))
		k := keys[i]
		before := slices.Clone(tb.slots)
		plan, err := tb.PlanDelete(k)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(before, tb.slots) {
			t.Fatal("PlanDelete changed the table")
		}
		moves, err := tb.Delete(k)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(plan, moves) {
			t.Fatalf("plan %v, Delete moved %v", plan, moves)
		}
		keys[i] = keys[len(keys)-1]
		keys = keys[:len(keys)-1]
		for _, k := range keys {
			if _, ok := tb.Lookup(k); !ok {
				t.Fatalf("%v unreachable after deleting at load %d/%d", k, tb.Len(), n)
			}
		}
	}
}
