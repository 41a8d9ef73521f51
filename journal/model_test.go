package journal_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/mmio"
)

// TestModel drives a region and its journal with random writes, commits,
// rollbacks, reclaims, checkpoints and restarts, and after every step
// compares what the region shows with two plain byte slices: current (what
// a reader must see) and committed (what a restart must find).
//
// It runs on a buffered region over the crash FS, where restarts are power
// cuts with random survival of unsynced data, and on a memory-mapped
// region over real files with both reclaim policies, where restarts close
// and reopen.
func TestModel(t *testing.T) {
	steps := envInt("MAPSTORE_MODEL_STEPS", 4000)
	for _, tc := range []struct {
		name   string
		mapped bool
		policy mmio.Policy
	}{
		{"buffered-crashfs", false, mmio.FullRecycling},
		{"mapped-full", true, mmio.FullRecycling},
		{"mapped-clean-only", true, mmio.CleanOnlyRecycling},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var fs vfs.FS
			var mem *vfs.MemFS
			dir := "/"
			if tc.mapped {
				fs, dir = vfs.NewOSFS(), t.TempDir()
			} else {
				mem = vfs.NewMem()
				fs = mem
			}
			createDevice(t, fs, dir)
			runModel(t, fs, mem, dir, tc.mapped, tc.policy, steps)
		})
	}
}

func runModel(t *testing.T, fs vfs.FS, mem *vfs.MemFS, dir string, mapped bool, policy mmio.Policy, steps int) {
	rng := rand.New(rand.NewPCG(42, uint64(policy)))
	ropts := mmio.Options{Budget: 8 * mmio.PageSize, Policy: policy}
	open := func(fs vfs.FS) *rig {
		g, err := openRig(fs, dir, mapped, ropts, journal.Options{})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		return g
	}
	g := open(fs)
	defer func() { g.close() }()

	committed := make([]byte, devSize)
	current := make([]byte, devSize)
	var tx *mmio.Tx
	var restarts, commits, rollbacks int
	var dropped, home int64
	tally := func() {
		dropped += g.r.Stats().Dropped
		home += g.j.Stats().PagesHome
	}

	for step := 0; step < steps; step++ {
		op := rng.IntN(1000)
		if tx != nil && tx.Len() > 16 {
			op = 500 // keep transactions within what the journal holds
		}
		switch {
		case op < 450: // write, possibly across pages
			if tx == nil {
				tx = g.j.Begin()
			}
			n := 1 + rng.IntN(3*mmio.PageSize)
			off := rng.Int64N(devSize - int64(n) + 1)
			d := make([]byte, n)
			for i := range d {
				d[i] = byte(rng.Uint32())
			}
			if _, err := tx.WriteAt(d, off); err != nil {
				t.Fatalf("step %d: write: %v", step, err)
			}
			copy(current[off:], d)
		case op < 650: // commit
			if tx == nil {
				continue
			}
			if err := g.j.Commit(tx); err != nil {
				t.Fatalf("step %d: commit: %v", step, err)
			}
			tx = nil
			copy(committed, current)
			commits++
		case op < 700: // rollback
			if tx == nil {
				continue
			}
			if err := tx.Rollback(); err != nil {
				t.Fatalf("step %d: rollback: %v", step, err)
			}
			tx = nil
			copy(current, committed)
			rollbacks++
		case op < 780:
			if err := g.r.Reclaim(); err != nil {
				t.Fatalf("step %d: reclaim: %v", step, err)
			}
		case op < 830:
			if err := g.j.Checkpoint(); err != nil {
				t.Fatalf("step %d: checkpoint: %v", step, err)
			}
		case op < 985: // read a random range
			n := 1 + rng.IntN(2*mmio.PageSize)
			off := rng.Int64N(devSize - int64(n) + 1)
			got := make([]byte, n)
			if _, err := g.r.ReadAt(got, off); err != nil {
				t.Fatalf("step %d: read: %v", step, err)
			}
			if !bytes.Equal(got, current[off:off+int64(n)]) {
				t.Fatalf("step %d: read [%d, %d): %s", step, off, off+int64(n), diff(got, current[off:off+int64(n)]))
			}
		default: // restart: uncommitted changes vanish
			tx = nil
			tally()
			g.close()
			next := fs
			if mem != nil {
				next = mem.CrashClone(vfs.CrashOptions{Rand: rng, UnsyncedBlockSurvival: 0.3, TornLastWrite: true})
				mem = next.(*vfs.MemFS)
				fs = next
			}
			g = open(next)
			copy(current, committed)
			restarts++
			got, err := g.contents()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, committed) {
				t.Fatalf("step %d: after restart: %s", step, diff(got, committed))
			}
		}
		if b := g.r.Options().Budget; policy == mmio.FullRecycling && tx == nil && g.r.PrivateBytes() > b {
			// Every page is committed now, so Full Recycling can always
			// get back under the budget.
			if err := g.r.Reclaim(); err != nil {
				t.Fatal(err)
			}
			if g.r.PrivateBytes() > b {
				t.Fatalf("step %d: %d private bytes over a budget of %d after reclaim", step, g.r.PrivateBytes(), b)
			}
		}
	}
	tally()
	t.Logf("%d steps: %d commits, %d rollbacks, %d restarts, %d pages dropped by reclaim, %d written home by checkpoints",
		steps, commits, rollbacks, restarts, dropped, home)
	if commits == 0 || restarts == 0 || dropped == 0 || home == 0 {
		t.Errorf("workload too thin to mean anything")
	}
}
