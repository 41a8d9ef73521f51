package journal_test

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/mmio"
)

// Budget benchmark shape: a 128 MiB working set, small writes to pages
// drawn from a Zipf distribution (hot pages get most writes), a commit
// every 512 writes, background checkpoints.
const (
	budgetWSPages    = 32 << 10
	budgetWritesPerC = 512
	budgetWriteLen   = 256
	budgetRounds     = 6
)

type budgetVariant struct {
	name   string
	budget int64
	policy mmio.Policy
	pat    bool // page-at-a-time writeback
}

// budgetLayouts place the Zipf ranks on pages: scattered spreads hot pages
// over the file (few contiguous runs for writeback), clustered keeps them
// together at its start (long runs).
var budgetLayouts = map[string]func(rank uint64) int64{
	"scattered": func(rank uint64) int64 { return int64(rank*2654435761) % budgetWSPages },
	"clustered": func(rank uint64) int64 { return int64(rank) },
}

// runBudgetVariant runs commits of the skewed workload against a fresh
// region and journal over dev and returns the elapsed time, with the
// final checkpoint included.
func runBudgetVariant(b *testing.B, fs vfs.FS, dir string, dev vfs.File, v budgetVariant, place func(uint64) int64, commits int, seed uint64) (time.Duration, mmio.Stats) {
	// Start every variant from the same state: the device in the page
	// cache (no disk reads; the comparison is about the budget), a new
	// journal.
	warm := make([]byte, 1<<20)
	for off := int64(0); off < budgetWSPages*mmio.PageSize; off += int64(len(warm)) {
		if _, err := dev.ReadAt(warm, off); err != nil {
			b.Fatal(err)
		}
	}
	jname := filepath.Join(dir, "journal-"+v.name)
	r, err := mmio.Map(dev, mmio.Options{Size: budgetWSPages * mmio.PageSize, Budget: v.budget, Policy: v.policy, PageAtATimeWriteback: v.pat})
	if err != nil {
		b.Fatal(err)
	}
	j, err := journal.Open(fs, jname, r, journal.Options{Size: 64 << 20})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 9))
	zipf := rand.NewZipf(rng, 1.1, 8, budgetWSPages-1)
	data := make([]byte, budgetWriteLen)
	start := time.Now()
	for c := 0; c < commits; c++ {
		tx := j.Begin()
		for w := 0; w < budgetWritesPerC; w++ {
			pg := place(zipf.Uint64())
			off := pg*mmio.PageSize + int64(rng.IntN(mmio.PageSize-budgetWriteLen))
			data[0] = byte(w)
			if _, err := tx.WriteAt(data, off); err != nil {
				b.Fatal(err)
			}
		}
		if err := j.Commit(tx); err != nil {
			b.Fatal(err)
		}
	}
	if err := j.Checkpoint(); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	st := r.Stats()
	if err := j.Close(); err != nil {
		b.Fatal(err)
	}
	if err := r.Close(); err != nil {
		b.Fatal(err)
	}
	if err := fs.Remove(jname); err != nil {
		b.Fatal(err)
	}
	return elapsed, st
}

// BenchmarkBudget runs the write-heavy skewed workload with a resident
// budget of 25 % of the working set under each reclaim policy, and without
// a budget, on the same file. The variants take turns in rounds
// (budgetRounds of b.N/budgetRounds commits each) so that drift in the
// disk's speed affects them alike. Reported per variant: commits per
// second; and the ratios full/unlimited (the paper's figure: >= 0.92),
// clean-only/unlimited, and vectored/page-at-a-time writeback under the
// budget.
func BenchmarkBudget(b *testing.B) {
	for _, layout := range []string{"scattered", "clustered"} {
		b.Run("layout="+layout, func(b *testing.B) { benchBudget(b, budgetLayouts[layout]) })
	}
}

func benchBudget(b *testing.B, place func(uint64) int64) {
	fs := vfs.NewOSFS()
	dir := b.TempDir()
	dev, err := fs.Create(filepath.Join(dir, "dev"))
	if err != nil {
		b.Fatal(err)
	}
	defer dev.Close()
	if err := dev.Allocate(0, budgetWSPages*mmio.PageSize); err != nil {
		b.Fatal(err)
	}
	if err := dev.Sync(); err != nil {
		b.Fatal(err)
	}
	quarter := int64(budgetWSPages * mmio.PageSize / 4)
	variants := []budgetVariant{
		{name: "unlimited"},
		{name: "full", budget: quarter, policy: mmio.FullRecycling},
		{name: "clean-only", budget: quarter, policy: mmio.CleanOnlyRecycling},
		{name: "full-page-at-a-time", budget: quarter, policy: mmio.FullRecycling, pat: true},
	}
	per := max(1, b.N/budgetRounds)
	times := map[string]time.Duration{}
	writes := map[string]int64{}
	b.ResetTimer()
	for round := 0; round < budgetRounds; round++ {
		for _, v := range variants {
			d, st := runBudgetVariant(b, fs, dir, dev, v, place, per, uint64(round))
			times[v.name] += d
			writes[v.name] += st.Writes
		}
	}
	b.StopTimer()
	total := float64(per * budgetRounds)
	rate := func(name string) float64 { return total / times[name].Seconds() }
	for _, v := range variants {
		b.ReportMetric(rate(v.name), v.name+"-commits/s")
		b.ReportMetric(float64(writes[v.name])/total, v.name+"-writes/commit")
	}
	b.ReportMetric(rate("full")/rate("unlimited"), "full/unlimited")
	b.ReportMetric(rate("clean-only")/rate("unlimited"), "clean-only/unlimited")
	b.ReportMetric(rate("full")/rate("full-page-at-a-time"), "vectored/page-at-a-time")
}
