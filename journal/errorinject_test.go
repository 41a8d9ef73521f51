package journal_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"syscall"
	"testing"

	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/mmio"
)

// errWorkload opens a journal on fs and runs the seeded commits until one
// fails. It returns the state of the acknowledged commits, the state with
// the failed commit added, and the first error (nil if none failed).
func errWorkload(t *testing.T, fs vfs.FS, seed uint64, commits int) (prev, next []byte, failure error) {
	rng := rand.New(rand.NewPCG(seed, 7))
	prev = make([]byte, devSize)
	next = prev
	g, err := openRig(fs, "/", false, mmio.Options{}, journal.Options{})
	if err != nil {
		return prev, next, err
	}
	defer func() {
		if err := g.close(); err != nil && failure == nil {
			failure = err
		}
	}()
	for i := 0; i < commits; i++ {
		cs := genCommit(rng, 6)
		next = apply(prev, cs)
		if err := g.commit(cs); err != nil {
			// Fail-stop: once a commit failed, nothing more is accepted.
			if errors.Is(err, journal.ErrFailed) {
				if err2 := g.commit(genCommit(rng, 2)); !errors.Is(err2, journal.ErrFailed) {
					t.Errorf("commit after a failed commit returned %v, want ErrFailed", err2)
				}
			}
			return prev, next, err
		}
		prev = next
	}
	return prev, next, nil
}

// TestErrorAtEveryOperation fails each file operation of a workload in
// turn (EIO, and ENOSPC on writes). Every failure reported must be the
// injected one, and after it nothing acknowledged may be lost: recovery,
// with or without a power cut, finds the acknowledged commits, plus the
// failed one only if it is whole.
func TestErrorAtEveryOperation(t *testing.T) {
	const commits = 40
	counter := vfs.OnIndex(-1, nil, nil)
	mem := vfs.NewMem()
	createDevice(t, mem, "/")
	if _, _, err := errWorkload(t, vfs.NewErrorFS(mem, counter), 1, commits); err != nil {
		t.Fatalf("workload without injected errors: %v", err)
	}
	ops := counter.Count()
	t.Logf("workload performs %d file operations", ops)

	cases := []struct {
		name   string
		filter func(vfs.Op) bool
		errno  syscall.Errno
	}{
		{"EIO", nil, syscall.EIO},
		{"ENOSPC", vfs.KindIs(vfs.OpWrite), syscall.ENOSPC},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k := int64(0); ; k++ {
				mem := vfs.NewMem()
				createDevice(t, mem, "/")
				inj := vfs.OnIndex(k, c.filter, vfs.Injected(c.errno))
				prev, next, err := errWorkload(t, vfs.NewErrorFS(mem, inj), 1, commits)
				if !inj.Fired() {
					if err != nil {
						t.Fatalf("op %d: failure without an injected error: %v", k, err)
					}
					t.Logf("%d injection points", k)
					return
				}
				if err == nil {
					// The failed operation was one whose error is not
					// reported to a committer (none should be).
					t.Fatalf("op %d: injected error was swallowed", k)
				}
				if !errors.Is(err, vfs.ErrInjected) || !errors.Is(err, c.errno) {
					t.Fatalf("op %d: failure is not the injected one: %v", k, err)
				}
				for _, crash := range []bool{false, true} {
					fs := vfs.FS(mem)
					if crash {
						fs = mem.CrashClone(vfs.CrashOptions{})
					}
					g, err := openRig(fs, "/", false, mmio.Options{}, journal.Options{})
					if err != nil {
						t.Fatalf("op %d (crash %v): recovery: %v", k, crash, err)
					}
					got, err := g.contents()
					g.close()
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, prev) && !bytes.Equal(got, next) {
						t.Fatalf("op %d (crash %v): recovered state lost acknowledged data: %s / %s",
							k, crash, diff(got, prev), diff(got, next))
					}
				}
			}
		})
	}
}
