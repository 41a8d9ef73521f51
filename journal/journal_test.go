package journal_test

import (
	"bytes"
	"errors"
	"syscall"
	"testing"

	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/mmio"
)

// TestGroupCommit runs commits from many goroutines on disjoint pages: each
// gets its own record (all survive a crash) and they share syncs.
func TestGroupCommit(t *testing.T) {
	mem := vfs.NewMem()
	createDevice(t, mem, "/")
	g, err := openRig(mem, "/", false, mmio.Options{}, journal.Options{Size: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	const workers, rounds = 16, 40
	runWorkers(t, workers, func(w int) error {
		for i := 0; i < rounds; i++ {
			// Worker w owns pages 4w..4w+3.
			val := bytes.Repeat([]byte{byte(w), byte(i)}, 2*mmio.PageSize)
			if err := g.commit([]change{{off: int64(4*w) * mmio.PageSize, data: val}}); err != nil {
				return err
			}
		}
		return nil
	})
	st := g.j.Stats()
	t.Logf("%+v", st)
	if st.Commits != workers*rounds {
		t.Fatalf("%d records, want %d", st.Commits, workers*rounds)
	}
	if st.Syncs >= st.Commits {
		t.Errorf("no group commit: %d syncs for %d commits", st.Syncs, st.Commits)
	}
	g.close()

	g2, err := openRig(mem.CrashClone(vfs.CrashOptions{}), "/", false, mmio.Options{}, journal.Options{Size: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer g2.close()
	got, _ := g2.contents()
	for w := 0; w < workers; w++ {
		want := bytes.Repeat([]byte{byte(w), rounds - 1}, 2*mmio.PageSize)
		if b := got[4*w*mmio.PageSize : (4*w+4)*mmio.PageSize]; !bytes.Equal(b, want) {
			t.Fatalf("worker %d: last commit lost: %s", w, diff(b, want))
		}
	}
}

// TestSyncFailureIsFailStop: after an fdatasync of the journal fails, the
// commit reports it, every later commit is refused (no retry that could
// report success), and the failure is never silently absorbed.
func TestSyncFailureIsFailStop(t *testing.T) {
	mem := vfs.NewMem()
	createDevice(t, mem, "/")
	// Fail the third datasync of the journal file: the formatting takes
	// two, so this is the first commit's.
	inj := vfs.OnIndex(2, vfs.And(vfs.KindIs(vfs.OpDatasync), vfs.PathHasSuffix("journal")), vfs.Injected(syscall.EIO))
	g, err := openRig(vfs.NewErrorFS(mem, inj), "/", false, mmio.Options{}, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	err = g.commit([]change{{off: 0, data: []byte("first")}})
	if !errors.Is(err, journal.ErrFailed) || !errors.Is(err, syscall.EIO) || !inj.Fired() {
		t.Fatalf("commit with a failing sync: %v, want ErrFailed wrapping EIO", err)
	}
	before := inj.Count()
	for i := 0; i < 3; i++ {
		err := g.commit([]change{{off: 8192, data: []byte("later")}})
		if !errors.Is(err, journal.ErrFailed) {
			t.Fatalf("commit %d after the failure: %v, want ErrFailed", i, err)
		}
	}
	if err := g.j.Checkpoint(); !errors.Is(err, journal.ErrFailed) {
		t.Fatalf("checkpoint after the failure: %v, want ErrFailed", err)
	}
	if after := inj.Count(); after != before {
		t.Fatalf("the failed journal still did %d file operations", after-before)
	}
}

// TestJournalWrapsAndReusesSpace commits far more than the journal holds,
// so it wraps many times; everything survives a crash and a reopen.
func TestJournalWrapsAndReusesSpace(t *testing.T) {
	mem, g := memRig(t)
	model := make([]byte, devSize)
	for i := 0; i < 300; i++ {
		cs := []change{{off: int64(i%testPages) * mmio.PageSize, data: bytes.Repeat([]byte{byte(i)}, mmio.PageSize)}}
		if err := g.commit(cs); err != nil {
			t.Fatal(err)
		}
		model = apply(model, cs)
	}
	st := g.j.Stats()
	if st.Checkpoints < 5 {
		t.Fatalf("only %d checkpoints for 300 commits in a %d-byte journal", st.Checkpoints, testJournal)
	}
	g.close()
	g2, err := openRig(mem.CrashClone(vfs.CrashOptions{}), "/", false, mmio.Options{}, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g2.close()
	if got, _ := g2.contents(); !bytes.Equal(got, model) {
		t.Fatal(diff(got, model))
	}
}

// TestTooLarge: a transaction that cannot fit is refused up front and
// rolled back; the journal keeps working.
func TestTooLarge(t *testing.T) {
	_, g := memRig(t)
	defer g.close()
	err := g.commit([]change{{off: 0, data: make([]byte, 40*mmio.PageSize)}})
	if !errors.Is(err, journal.ErrTooLarge) {
		t.Fatalf("40-page commit into a %d-byte journal: %v, want ErrTooLarge", testJournal, err)
	}
	if err := g.commit([]change{{off: 0, data: []byte("fits")}}); err != nil {
		t.Fatalf("commit after ErrTooLarge: %v", err)
	}
}

// TestCorruptHeadersRefused: a journal whose two headers are destroyed but
// whose record area holds records is corruption, not a fresh file.
func TestCorruptHeadersRefused(t *testing.T) {
	mem, g := memRig(t)
	if err := g.commit([]change{{off: 0, data: []byte("keep me")}}); err != nil {
		t.Fatal(err)
	}
	g.close()
	f, _ := mem.OpenReadWrite("/journal")
	f.WriteAt(make([]byte, 8192), 0)
	f.Sync()
	f.Close()
	if _, err := openRig(mem, "/", false, mmio.Options{}, journal.Options{}); !errors.Is(err, journal.ErrCorrupt) {
		t.Fatalf("open with both headers destroyed: %v, want ErrCorrupt", err)
	}
}

// TestDiscardedTailStaysDiscarded: records found after a torn one were
// never acknowledged and recovery discards them; they must not come back
// when new records of the same sizes are written over the torn one.
func TestDiscardedTailStaysDiscarded(t *testing.T) {
	mem, g := memRig(t)
	page := func(b byte) []byte { return bytes.Repeat([]byte{b}, mmio.PageSize) }
	for i, c := range []change{{0, page(1)}, {mmio.PageSize, page(2)}, {2 * mmio.PageSize, page(3)}} {
		if err := g.commit([]change{c}); err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
	}
	g.close()
	var err error
	// Damage the second record's body: recovery keeps the first and
	// discards the second and the third (as after a crash that tore the
	// second of a group commit).
	f, _ := mem.OpenReadWrite("/journal")
	hdrPages := int64(8192)
	recSize := int64(4608) // one page: 32 + 16 + 4096 + 16, padded to 512
	f.WriteAt([]byte{0xff}, hdrPages+recSize+100)
	f.Sync()
	f.Close()

	g, err = openRig(mem, "/", false, mmio.Options{}, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]byte, devSize)
	copy(want, page(1))
	if got, _ := g.contents(); !bytes.Equal(got, want) {
		t.Fatalf("after discarding the tail: %s", diff(got, want))
	}
	// A new record of the same size lands where the second one was; the
	// stale third one still follows it in the file.
	if err := g.commit([]change{{3 * mmio.PageSize, page(4)}}); err != nil {
		t.Fatal(err)
	}
	g.close()
	copy(want[3*mmio.PageSize:], page(4))
	g, err = openRig(mem.CrashClone(vfs.CrashOptions{}), "/", false, mmio.Options{}, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	if got, _ := g.contents(); !bytes.Equal(got, want) {
		t.Fatalf("a discarded record came back: %s", diff(got, want))
	}
}

// TestBackgroundCheckpointer runs concurrent committers against a small
// journal with the background checkpointer, so commits regularly find the
// journal full and wait for it; everything survives a crash.
func TestBackgroundCheckpointer(t *testing.T) {
	mem := vfs.NewMem()
	createDevice(t, mem, "/")
	g, err := openRigWith(mem, "/", false, mmio.Options{Budget: 16 * mmio.PageSize}, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const workers, rounds = 8, 150
	runWorkers(t, workers, func(w int) error {
		for i := 0; i < rounds; i++ {
			val := bytes.Repeat([]byte{byte(w), byte(i)}, mmio.PageSize/2)
			// Worker w owns pages 8w..8w+7 and rewrites two of them.
			cs := []change{
				{off: int64(8*w+i%8) * mmio.PageSize, data: val},
				{off: int64(8*w+(i+3)%8) * mmio.PageSize, data: val},
			}
			if err := g.commit(cs); err != nil {
				return err
			}
		}
		return nil
	})
	st := g.j.Stats()
	t.Logf("%+v", st)
	if st.Checkpoints == 0 || st.SpaceWaits == 0 {
		t.Errorf("the background checkpointer was not exercised: %+v", st)
	}
	want, err := g.contents()
	if err != nil {
		t.Fatal(err)
	}
	g.close()
	g2, err := openRig(mem.CrashClone(vfs.CrashOptions{}), "/", false, mmio.Options{}, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g2.close()
	if got, _ := g2.contents(); !bytes.Equal(got, want) {
		t.Fatalf("after a crash: %s", diff(got, want))
	}
}

// TestCommitAfterClose is refused and leaves the region usable.
func TestCommitAfterClose(t *testing.T) {
	_, g := memRig(t)
	defer g.close()
	if err := g.j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := g.commit([]change{{off: 0, data: []byte("late")}}); !errors.Is(err, journal.ErrClosed) {
		t.Fatalf("commit after Close: %v, want ErrClosed", err)
	}
	got := make([]byte, 4)
	if _, err := g.r.ReadAt(got, 0); err != nil || !bytes.Equal(got, make([]byte, 4)) {
		t.Fatalf("the refused commit left %q in the region (err %v)", got, err)
	}
	g.j = nil
}
