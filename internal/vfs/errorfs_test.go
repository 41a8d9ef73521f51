package vfs

import (
	"bytes"
	"errors"
	"io/fs"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

func TestInjectedMatchesBoth(t *testing.T) {
	err := Injected(syscall.EIO)
	if !errors.Is(err, ErrInjected) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("%v does not match both ErrInjected and EIO", err)
	}
	if errors.Is(err, syscall.ENOSPC) {
		t.Fatal("Injected(EIO) matches ENOSPC")
	}
	if !errors.Is(Injected(syscall.ENOENT), fs.ErrNotExist) {
		t.Fatal("Injected(ENOENT) does not match fs.ErrNotExist")
	}
}

func TestOpKindStringAndMutates(t *testing.T) {
	mutating := map[OpKind]bool{
		OpCreate: true, OpOpenReadWrite: true, OpRemove: true, OpRename: true,
		OpMkdirAll: true, OpSyncDir: true, OpWrite: true, OpSync: true,
		OpDatasync: true, OpTruncate: true, OpAllocate: true,
	}
	seen := map[string]bool{}
	for k := OpCreate; k <= OpClose; k++ {
		s := k.String()
		if s == "" || seen[s] || strings.HasPrefix(s, "OpKind(") {
			t.Errorf("kind %d has a missing or duplicate name %q", int(k), s)
		}
		seen[s] = true
		if k.Mutates() != mutating[k] {
			t.Errorf("%s.Mutates() = %v", k, k.Mutates())
		}
	}
	if got := OpKind(99).String(); got != "OpKind(99)" {
		t.Errorf("unknown kind prints as %q", got)
	}
}

// TestErrorFSFailedOpHasNoEffect fails each kind of mutating operation in
// turn and checks that it changed nothing, in the current state or in what
// survives a crash.
func TestErrorFSFailedOpHasNoEffect(t *testing.T) {
	cases := []struct {
		kind  OpKind
		op    func(fs FS, f File) error
		check func(t *testing.T, m *MemFS)
	}{
		{OpCreate, func(fs FS, _ File) error { _, err := fs.Create("new"); return err },
			func(t *testing.T, m *MemFS) { wantExists(t, m, "new", false) }},
		{OpCreate, func(fs FS, _ File) error { _, err := fs.Create("f"); return err },
			func(t *testing.T, m *MemFS) { wantContent(t, m, "f", "synced+unsynced") }},
		{OpOpenReadWrite, func(fs FS, _ File) error { _, err := fs.OpenReadWrite("new"); return err },
			func(t *testing.T, m *MemFS) { wantExists(t, m, "new", false) }},
		{OpRemove, func(fs FS, _ File) error { return fs.Remove("f") },
			func(t *testing.T, m *MemFS) { wantExists(t, m, "f", true) }},
		{OpRename, func(fs FS, _ File) error { return fs.Rename("f", "g") },
			func(t *testing.T, m *MemFS) { wantExists(t, m, "f", true); wantExists(t, m, "g", false) }},
		{OpMkdirAll, func(fs FS, _ File) error { return fs.MkdirAll("d", 0o755) },
			func(t *testing.T, m *MemFS) { wantExists(t, m, "d", false) }},
		{OpSyncDir, func(fs FS, _ File) error { return fs.SyncDir("/") },
			func(t *testing.T, m *MemFS) { wantExists(t, m.CrashClone(CrashOptions{}), "unsynced-entry", false) }},
		{OpWrite, func(_ FS, f File) error { _, err := f.WriteAt([]byte("XX"), 0); return err },
			func(t *testing.T, m *MemFS) { wantContent(t, m, "f", "synced+unsynced") }},
		{OpWrite, func(_ FS, f File) error { _, err := f.WriteV([][]byte{[]byte("X"), []byte("Y")}, 0); return err },
			func(t *testing.T, m *MemFS) { wantContent(t, m, "f", "synced+unsynced") }},
		{OpSync, func(_ FS, f File) error { return f.Sync() },
			func(t *testing.T, m *MemFS) { wantContent(t, m.CrashClone(CrashOptions{}), "f", "synced") }},
		{OpDatasync, func(_ FS, f File) error { return f.Datasync() },
			func(t *testing.T, m *MemFS) { wantContent(t, m.CrashClone(CrashOptions{}), "f", "synced") }},
		{OpTruncate, func(_ FS, f File) error { return f.Truncate(1) },
			func(t *testing.T, m *MemFS) { wantContent(t, m, "f", "synced+unsynced") }},
		{OpAllocate, func(_ FS, f File) error { return f.Allocate(0, 100) },
			func(t *testing.T, m *MemFS) { wantContent(t, m, "f", "synced+unsynced") }},
	}
	for _, tc := range cases {
		t.Run(tc.kind.String(), func(t *testing.T) {
			m := NewMem()
			memWrite(t, m, "f", []byte("synced"), true).Close()
			mustSyncDir(t, m, "/")
			memWrite(t, m, "unsynced-entry", nil, false).Close()
			// Armed only once the file is set up, so that setup is not
			// counted.
			var armed atomic.Bool
			inj := OnIndex(0, KindIs(tc.kind), nil)
			efs := NewErrorFS(m, InjectorFunc(func(op Op) error {
				if !armed.Load() {
					return nil
				}
				return inj.MaybeError(op)
			}))
			f, err := efs.OpenReadWrite("f")
			if err != nil {
				t.Fatal(err)
			}
			mustWriteAt(t, f, []byte("+unsynced"), 6)
			armed.Store(true)
			err = tc.op(efs, f)
			if !errors.Is(err, ErrInjected) || !errors.Is(err, syscall.EIO) || !inj.Fired() {
				t.Fatalf("op returned %v (fired %v); want the injected EIO", err, inj.Fired())
			}
			tc.check(t, m)
		})
	}
}

func wantExists(t *testing.T, fs FS, name string, want bool) {
	t.Helper()
	if exists(fs, name) != want {
		t.Errorf("%s exists = %v; want %v", name, !want, want)
	}
}

func wantContent(t *testing.T, fs FS, name, want string) {
	t.Helper()
	if got := readFile(t, fs, name); string(got) != want {
		t.Errorf("%s = %q; want %q", name, got, want)
	}
}

// TestOnIndexEveryWrite fails each write of a workload in turn: exactly
// that write fails and leaves its block untouched; all others land.
func TestOnIndexEveryWrite(t *testing.T) {
	const nwrites = 10
	workload := func(fs FS) (errs []error) {
		f, err := fs.Create("f")
		if err != nil {
			return []error{err}
		}
		for i := range nwrites {
			if _, err := f.WriteAt(pattern(100, byte(i+1)), int64(i*100)); err != nil {
				errs = append(errs, err)
			}
			if _, err := f.Size(); err != nil { // not a write: never counted
				errs = append(errs, err)
			}
		}
		return errs
	}

	counter := OnIndex(-1, KindIs(OpWrite), nil)
	if errs := workload(NewErrorFS(NewMem(), counter)); len(errs) != 0 || counter.Fired() {
		t.Fatalf("counting run failed: %v", errs)
	}
	if counter.Count() != nwrites {
		t.Fatalf("Count = %d; want %d", counter.Count(), nwrites)
	}

	for k := range int64(nwrites) {
		m := NewMem()
		inj := OnIndex(k, KindIs(OpWrite), Injected(syscall.ENOSPC))
		errs := workload(NewErrorFS(m, inj))
		if len(errs) != 1 || !errors.Is(errs[0], ErrInjected) || !errors.Is(errs[0], syscall.ENOSPC) {
			t.Fatalf("k=%d: errors %v; want exactly the injected ENOSPC", k, errs)
		}
		got := readFile(t, m, "f")
		for i := range int64(nwrites) {
			want := pattern(100, byte(i+1))
			if i == k {
				want = make([]byte, 100)
			}
			if i == k && k == nwrites-1 {
				want = nil // the failed last write never extended the file
			}
			if end := min(int64(len(got)), (i+1)*100); !bytes.Equal(got[min(i*100, end):end], want) {
				t.Fatalf("k=%d: block %d holds the wrong bytes", k, i)
			}
		}
	}
}

func TestFilters(t *testing.T) {
	m := NewMem()
	inj := OnIndex(1, And(KindIs(OpSync, OpDatasync), PathHasSuffix(".log")), nil)
	efs := NewErrorFS(m, inj)
	log, _ := efs.Create("a.log")
	tmp, _ := efs.Create("b.tmp")
	steps := []struct {
		f       File
		sync    func(File) error
		wantErr bool
	}{
		{tmp, File.Sync, false},
		{log, File.Sync, false}, // index 0
		{tmp, File.Datasync, false},
		{log, File.Datasync, true}, // index 1
		{log, File.Sync, false},
	}
	for i, s := range steps {
		if err := s.sync(s.f); (err != nil) != s.wantErr {
			t.Fatalf("step %d: %v; want error %v", i, err, s.wantErr)
		}
	}
	if inj.Count() != 3 {
		t.Fatalf("Count = %d; want 3 matching ops", inj.Count())
	}
	if err := efs.Rename("b.tmp", "c.log"); err != nil {
		t.Fatal(err)
	}
	if !PathHasSuffix(".log")(Op{Kind: OpRename, Path: "b.tmp", NewPath: "c.log"}) {
		t.Fatal("PathHasSuffix ignores a rename's new name")
	}
	if !Mutating(Op{Kind: OpWrite}) || Mutating(Op{Kind: OpRead}) {
		t.Fatal("Mutating filter disagrees with OpKind.Mutates")
	}
}

func TestProbability(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	never := Probability(0, rng, nil, nil)
	always := Probability(1, rng, KindIs(OpStat), nil)
	half := Probability(0.5, rng, nil, nil)
	var nHalf int
	for range 1000 {
		if never.MaybeError(Op{Kind: OpStat}) != nil {
			t.Fatal("p=0 injected an error")
		}
		if err := always.MaybeError(Op{Kind: OpStat}); !errors.Is(err, ErrInjected) {
			t.Fatalf("p=1 returned %v", err)
		}
		if always.MaybeError(Op{Kind: OpList}) != nil {
			t.Fatal("p=1 injected into an op its filter rejects")
		}
		if half.MaybeError(Op{}) != nil {
			nHalf++
		}
	}
	if nHalf < 400 || nHalf > 600 {
		t.Fatalf("p=0.5 failed %d of 1000", nHalf)
	}
}

func TestOnIndexConcurrent(t *testing.T) {
	inj := OnIndex(500, nil, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var fired int
	for range 8 {
		wg.Go(func() {
			for range 250 {
				if inj.MaybeError(Op{Kind: OpRead}) != nil {
					mu.Lock()
					fired++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if fired != 1 || inj.Count() != 2000 || !inj.Fired() {
		t.Fatalf("fired %d times, counted %d; want once and 2000", fired, inj.Count())
	}
}

// TestErrorFSPassesThrough checks the wrapper is transparent when the
// injector says nothing, and that every operation is shown to it.
func TestErrorFSPassesThrough(t *testing.T) {
	var mu sync.Mutex
	kinds := map[OpKind]int{}
	efs := NewErrorFS(NewMem(), InjectorFunc(func(op Op) error {
		mu.Lock()
		kinds[op.Kind]++
		mu.Unlock()
		return nil
	}))
	if err := efs.MkdirAll("d", 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := efs.Create("d/f")
	if err != nil {
		t.Fatal(err)
	}
	mustWriteAt(t, f, []byte("abc"), 0)
	f.WriteV([][]byte{[]byte("d")}, 3)
	f.Allocate(0, 10)
	f.Truncate(4)
	f.Sync()
	f.Datasync()
	f.Close()
	efs.SyncDir("d")
	efs.Rename("d/f", "d/g")
	efs.List("d")
	efs.Stat("d/g")
	if got := readFile(t, efs, "d/g"); string(got) != "abcd" {
		t.Fatalf("content through the wrapper = %q; want \"abcd\"", got)
	}
	efs.OpenReadWrite("d/h")
	if l, err := efs.Lock("LOCK"); err == nil {
		l.Close()
	}
	efs.Remove("d/h")
	for k := OpCreate; k <= OpClose; k++ {
		if kinds[k] == 0 {
			t.Errorf("the injector never saw a %s", k)
		}
	}
}
