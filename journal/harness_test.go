package journal_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"strconv"
	"sync"
	"testing"

	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/mmio"
)

const (
	testPages   = 64
	devSize     = testPages * mmio.PageSize
	testJournal = 128 << 10
)

// rig is a region and its journal on some FS.
type rig struct {
	dev vfs.File
	r   *mmio.Region
	j   *journal.Journal
}

func (g *rig) close() error {
	var errs []error
	if g.j != nil {
		errs = append(errs, g.j.Close())
	}
	if g.r != nil {
		errs = append(errs, g.r.Close())
	}
	if g.dev != nil {
		errs = append(errs, g.dev.Close())
	}
	return errors.Join(errs...)
}

// createDevice makes a zeroed, durable home file in dir.
func createDevice(t testing.TB, fs vfs.FS, dir string) {
	t.Helper()
	f, err := fs.Create(path.Join(dir, "dev"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(devSize); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fs.SyncDir(dir); err != nil {
		t.Fatal(err)
	}
}

// openRig opens the home file in dir, a region over it (mapped, or
// buffered) and the journal, which checkpoints inline so that the file
// operations of a workload are the same every run.
func openRig(fs vfs.FS, dir string, mapped bool, ropts mmio.Options, jopts journal.Options) (*rig, error) {
	jopts.InlineCheckpoint = true
	return openRigWith(fs, dir, mapped, ropts, jopts)
}

// openRigWith is openRig with the journal options as given.
func openRigWith(fs vfs.FS, dir string, mapped bool, ropts mmio.Options, jopts journal.Options) (*rig, error) {
	g := &rig{}
	var err error
	if g.dev, err = fs.OpenReadWrite(path.Join(dir, "dev")); err != nil {
		return nil, err
	}
	open := mmio.NewBuffered
	if mapped {
		open = mmio.Map
	}
	if g.r, err = open(g.dev, ropts); err != nil {
		g.close()
		return nil, err
	}
	if jopts.Size == 0 {
		jopts.Size = testJournal
	}
	if g.j, err = journal.Open(fs, path.Join(dir, "journal"), g.r, jopts); err != nil {
		g.j = nil
		g.close()
		return nil, err
	}
	return g, nil
}

// contents reads the whole region.
func (g *rig) contents() ([]byte, error) {
	b := make([]byte, devSize)
	_, err := g.r.ReadAt(b, 0)
	return b, err
}

// change is one write of a generated commit.
type change struct {
	off  int64
	data []byte
}

// genCommit makes a commit of 1..maxPages distinct random pages, each
// written whole or in part.
func genCommit(rng *rand.Rand, maxPages int) []change {
	n := 1 + rng.IntN(maxPages)
	pages := rng.Perm(testPages)[:n]
	out := make([]change, 0, n)
	for _, pg := range pages {
		lo, hi := 0, mmio.PageSize
		if rng.IntN(2) == 0 {
			lo = rng.IntN(mmio.PageSize)
			hi = lo + 1 + rng.IntN(mmio.PageSize-lo)
		}
		d := make([]byte, hi-lo)
		for i := range d {
			d[i] = byte(rng.Uint32())
		}
		out = append(out, change{off: int64(pg*mmio.PageSize + lo), data: d})
	}
	return out
}

func apply(model []byte, cs []change) []byte {
	m := bytes.Clone(model)
	for _, c := range cs {
		copy(m[c.off:], c.data)
	}
	return m
}

// commit writes the changes in one transaction and commits it.
func (g *rig) commit(cs []change) error {
	tx := g.j.Begin()
	for _, c := range cs {
		if _, err := tx.WriteAt(c.data, c.off); err != nil {
			tx.Rollback()
			return err
		}
	}
	return g.j.Commit(tx)
}

// diff describes where two images first differ.
func diff(a, b []byte) string {
	for i := range a {
		if a[i] != b[i] {
			return fmt.Sprintf("first difference at byte %d (page %d)", i, i/mmio.PageSize)
		}
	}
	return "equal"
}

// envInt reads an integer knob from the environment.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// memRig is the common start of a test: a crash FS with a zeroed device
// and a region and journal open on it with default options.
func memRig(t *testing.T) (*vfs.MemFS, *rig) {
	t.Helper()
	mem := vfs.NewMem()
	createDevice(t, mem, "/")
	g, err := openRig(mem, "/", false, mmio.Options{}, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return mem, g
}

// runWorkers runs fn(w) for w in [0, n) concurrently and fails the test
// with the first error any of them returns.
func runWorkers(t *testing.T, n int, fn func(w int) error) {
	t.Helper()
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Go(func() {
			if err := fn(w); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
