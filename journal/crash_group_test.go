package journal_test

import (
	"bytes"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/mmio"
)

// TestCrashDuringGroupCommit crashes concurrent committers, whose records
// share writes and syncs, before every file operation, with random
// survival of unsynced blocks (so a later record of a batch can survive
// while an earlier one is torn). Each worker owns its pages; after
// recovery, each worker's pages must show one of its commits, no older
// than the last one it saw acknowledged before the crash and no newer than
// the one it had in flight. Every crash point also commits again on the
// recovered journal and crashes once more, to catch records that recovery
// discarded coming back.
func TestCrashDuringGroupCommit(t *testing.T) {
	const (
		workers     = 4
		pagesEach   = 8
		commitsEach = 60
	)
	mem := vfs.NewMem()
	createDevice(t, mem, "/")

	// history[w][k] is worker w's pages after its k-th commit.
	history := make([][][]byte, workers)
	for w := range history {
		history[w] = [][]byte{make([]byte, pagesEach*mmio.PageSize)}
	}
	var acked [workers]atomic.Int64
	var mu sync.Mutex // one check at a time
	points := 0
	crashRng := rand.New(rand.NewPCG(11, 12))

	workerPages := func(img []byte, w int) []byte {
		return img[w*pagesEach*mmio.PageSize : (w+1)*pagesEach*mmio.PageSize]
	}
	// check runs on the workers' goroutines, where t.Fatal must not be
	// used: a violation is reported once and then fails every later file
	// operation, which stops the workers.
	var failed atomic.Bool
	fatalf := func(format string, args ...any) {
		if failed.CompareAndSwap(false, true) {
			t.Errorf(format, args...)
		}
	}
	check := func(op vfs.Op) {
		mu.Lock()
		defer mu.Unlock()
		if failed.Load() {
			return
		}
		var lo [workers]int64
		for w := range lo {
			lo[w] = acked[w].Load()
		}
		clone := mem.CrashClone(vfs.CrashOptions{Rand: crashRng, UnsyncedBlockSurvival: 0.5, TornLastWrite: true})
		g, err := openRig(clone, "/", false, mmio.Options{}, journal.Options{})
		if err != nil {
			fatalf("crash point %d (%v): recovery: %v", points, op, err)
			return
		}
		defer g.close()
		got, _ := g.contents()
		for w := 0; w < workers; w++ {
			hi := acked[w].Load() + 1
			found := false
			for k := lo[w]; k <= hi && k < int64(len(history[w])); k++ {
				if bytes.Equal(workerPages(got, w), history[w][k]) {
					found = true
					break
				}
			}
			if !found {
				fatalf("crash point %d (%v): worker %d shows none of its commits %d..%d", points, op, w, lo[w], hi)
				return
			}
		}
		{
			cs := genCommit(crashRng, 1)
			if err := g.commit(cs); err != nil {
				fatalf("crash point %d: commit after recovery: %v", points, err)
				return
			}
			want := apply(got, cs)
			g2, err := openRig(clone.CrashClone(vfs.CrashOptions{}), "/", false, mmio.Options{}, journal.Options{})
			if err != nil {
				fatalf("crash point %d: second recovery: %v", points, err)
				return
			}
			got2, _ := g2.contents()
			g2.close()
			if !bytes.Equal(got2, want) {
				fatalf("crash point %d: after a second crash: %s", points, diff(got2, want))
				return
			}
		}
		points++
	}
	fs := vfs.NewErrorFS(mem, vfs.InjectorFunc(func(op vfs.Op) error {
		if op.Kind.Mutates() {
			check(op)
		}
		if failed.Load() {
			return vfs.Injected(syscall.EIO)
		}
		return nil
	}))
	g, err := openRig(fs, "/", false, mmio.Options{}, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()

	// Precompute every worker's commits so history is complete before
	// any crash point looks at it.
	plans := make([][][]change, workers)
	for w := 0; w < workers; w++ {
		rng := rand.New(rand.NewPCG(uint64(w), 99))
		for k := 0; k < commitsEach; k++ {
			var cs []change
			// One page per commit: records of equal size line up in the
			// file, the setting in which a discarded record could be
			// mistaken for a new one.
			for _, p := range rng.Perm(pagesEach)[:1] {
				d := make([]byte, mmio.PageSize)
				for i := range d {
					d[i] = byte(rng.Uint32())
				}
				cs = append(cs, change{off: int64(w*pagesEach+p) * mmio.PageSize, data: d})
			}
			plans[w] = append(plans[w], cs)
			prev := history[w][k]
			next := bytes.Clone(prev)
			for _, c := range cs {
				copy(next[c.off-int64(w*pagesEach*mmio.PageSize):], c.data)
			}
			history[w] = append(history[w], next)
		}
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for k, cs := range plans[w] {
				if err := g.commit(cs); err != nil {
					if !failed.Load() {
						t.Errorf("worker %d commit %d: %v", w, k, err)
					}
					return
				}
				acked[w].Add(1)
			}
		})
	}
	wg.Wait()
	st := g.j.Stats()
	t.Logf("%d crash points; %d records in %d syncs", points, st.Commits, st.Syncs)
	if st.Syncs >= st.Commits {
		t.Errorf("no commits were grouped (%d syncs for %d records): the test did not test group commit", st.Syncs, st.Commits)
	}
}
