package journal_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/mmio"
)

// TestCrashAtEveryPoint runs random multi-page commits on the crash FS and
// crashes before every file operation that changes state (every write,
// sync, truncate, create...): the FS is cloned as a power cut would leave
// it, recovered, and checked. Every acknowledged commit must be fully
// present and the one in flight, if any, fully present or fully absent.
//
// Three crash models: nothing unsynced survives; the last write is torn at
// 512-byte granularity; each unsynced 4 KiB block survives with
// probability one half and the last write is torn.
//
// MAPSTORE_CRASH_COMMITS sets the number of commits per model (default
// 800, which gives well over 10,000 crash points in all).
func TestCrashAtEveryPoint(t *testing.T) {
	commits := envInt("MAPSTORE_CRASH_COMMITS", 800)
	models := []struct {
		name string
		opts func(rng *rand.Rand) vfs.CrashOptions
	}{
		{"synced-only", func(*rand.Rand) vfs.CrashOptions { return vfs.CrashOptions{} }},
		{"torn-last-write", func(rng *rand.Rand) vfs.CrashOptions {
			return vfs.CrashOptions{Rand: rng, TornLastWrite: true}
		}},
		{"random-survival", func(rng *rand.Rand) vfs.CrashOptions {
			return vfs.CrashOptions{Rand: rng, UnsyncedBlockSurvival: 0.5, TornLastWrite: true}
		}},
	}
	total := 0
	for i, m := range models {
		t.Run(m.name, func(t *testing.T) {
			n := crashWorkload(t, uint64(i+1), commits, m.opts)
			t.Logf("%d crash points checked", n)
			total += n
		})
	}
	if commits == 800 && total < 10000 {
		t.Errorf("only %d crash points checked, want at least 10000", total)
	}
}

// crashWorkload runs the workload, checking a crash before every mutating
// operation, and returns the number of crash points.
func crashWorkload(t *testing.T, seed uint64, commits int, crashOpts func(*rand.Rand) vfs.CrashOptions) int {
	mem := vfs.NewMem()
	createDevice(t, mem, "/")
	rng := rand.New(rand.NewPCG(seed, 1))
	crashRng := rand.New(rand.NewPCG(seed, 2))

	// prev is the state every acknowledged commit adds up to; next is prev
	// plus the commit in flight (equal to prev between commits).
	prev := make([]byte, devSize)
	next := prev
	points := 0
	step := 0 // commit in flight, for messages

	check := func(op vfs.Op) {
		clone := mem.CrashClone(crashOpts(crashRng))
		g, err := openRig(clone, "/", false, mmio.Options{}, journal.Options{})
		if err != nil {
			t.Fatalf("crash before op %d (%v) during commit %d: recovery failed: %v", points, op, step, err)
		}
		defer g.close()
		got, err := g.contents()
		if err != nil {
			t.Fatalf("crash point %d: read: %v", points, err)
		}
		if !bytes.Equal(got, prev) && !bytes.Equal(got, next) {
			t.Fatalf("crash before op %d (%v) during commit %d: recovered state is neither the acknowledged one (%s) nor with the commit in flight (%s)",
				points, op, step, diff(got, prev), diff(got, next))
		}
		// Now and then, make sure the recovered journal takes commits
		// that survive another crash.
		if points%97 == 0 {
			cs := genCommit(crashRng, 4)
			if err := g.commit(cs); err != nil {
				t.Fatalf("crash point %d: commit after recovery: %v", points, err)
			}
			g2, err := openRig(clone.CrashClone(vfs.CrashOptions{}), "/", false, mmio.Options{}, journal.Options{})
			if err != nil {
				t.Fatalf("crash point %d: second recovery: %v", points, err)
			}
			got2, _ := g2.contents()
			g2.close()
			if want := apply(got, cs); !bytes.Equal(got2, want) {
				t.Fatalf("crash point %d: commit after recovery lost: %s", points, diff(got2, want))
			}
		}
	}
	inj := vfs.InjectorFunc(func(op vfs.Op) error {
		if op.Kind.Mutates() {
			check(op)
			points++
		}
		return nil
	})
	fs := vfs.NewErrorFS(mem, inj)

	g, err := openRig(fs, "/", false, mmio.Options{}, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	for step = 0; step < commits; step++ {
		cs := genCommit(rng, 8)
		next = apply(prev, cs)
		if err := g.commit(cs); err != nil {
			t.Fatalf("commit %d: %v", step, err)
		}
		prev = next
	}
	check(vfs.Op{})
	points++
	return points
}
