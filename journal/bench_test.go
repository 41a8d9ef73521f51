package journal_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/mmio"
)

// benchDevPages is the size of the benchmark device (256 MiB), large
// enough that random pages are scattered.
const benchDevPages = 64 << 10

// benchSetup creates a preallocated device file on the real disk, maps it
// twice: MAP_SHARED for the baseline, and as a region with a journal.
type benchSetup struct {
	dev    vfs.File
	shared []byte
	r      *mmio.Region
	j      *journal.Journal
}

func newBenchSetup(b *testing.B, jopts journal.Options, ropts mmio.Options) *benchSetup {
	b.Helper()
	fs := vfs.NewOSFS()
	dir := b.TempDir()
	dev, err := fs.Create(filepath.Join(dir, "dev"))
	if err != nil {
		b.Fatal(err)
	}
	if err := dev.Allocate(0, benchDevPages*mmio.PageSize); err != nil {
		b.Fatal(err)
	}
	if err := dev.Sync(); err != nil {
		b.Fatal(err)
	}
	shared, err := unix.Mmap(int(dev.Fd()), 0, benchDevPages*mmio.PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		b.Fatal(err)
	}
	r, err := mmio.Map(dev, ropts)
	if err != nil {
		b.Fatal(err)
	}
	j, err := journal.Open(fs, filepath.Join(dir, "journal"), r, jopts)
	if err != nil {
		b.Fatal(err)
	}
	s := &benchSetup{dev: dev, shared: shared, r: r, j: j}
	b.Cleanup(func() {
		j.Close()
		r.Close()
		unix.Munmap(shared)
		dev.Close()
	})
	return s
}

// randomPages picks n distinct random pages.
func randomPages(rng *rand.Rand, n int) []int64 {
	seen := make(map[int64]bool, n)
	out := make([]int64, 0, n)
	for len(out) < n {
		p := rng.Int64N(benchDevPages)
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// msyncOp is the non-atomic baseline: write the pages through a MAP_SHARED
// mapping, then msync(MS_SYNC).
func (s *benchSetup) msyncOp(b *testing.B, pgs []int64, page []byte) {
	for _, p := range pgs {
		copy(s.shared[p*mmio.PageSize:], page)
	}
	if err := unix.Msync(s.shared, unix.MS_SYNC); err != nil {
		b.Fatal(err)
	}
}

// commitOp writes the pages in a transaction and commits it atomically.
func (s *benchSetup) commitOp(b *testing.B, pgs []int64, page []byte) {
	tx := s.j.Begin()
	for _, p := range pgs {
		if _, err := tx.WriteAt(page, p*mmio.PageSize); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.j.Commit(tx); err != nil {
		b.Fatal(err)
	}
}

var benchPageCounts = []int{1, 8, 64, 512}

// BenchmarkCommitLatency compares the latency of an atomic commit of n
// scattered dirty pages with the non-atomic baseline (MAP_SHARED writes +
// msync(MS_SYNC)) on the same file, alternating the two in one loop so
// drift affects both alike. Checkpoints run between timed operations.
// Reported: mean microseconds per operation of each, and their ratio
// (atomic/baseline; below 1 means the atomic commit is faster).
func BenchmarkCommitLatency(b *testing.B) {
	for _, n := range benchPageCounts {
		b.Run(fmt.Sprintf("pages=%d", n), func(b *testing.B) {
			s := newBenchSetup(b, journal.Options{Size: 256 << 20, CheckpointAt: 1}, mmio.Options{})
			rng := rand.New(rand.NewPCG(1, uint64(n)))
			page := make([]byte, mmio.PageSize)
			var tAtomic, tBase time.Duration
			var lats []time.Duration
			perCheckpoint := max(1, (64<<20)/(n*(mmio.PageSize+16)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				page[0] = byte(i)
				pgs := randomPages(rng, n)
				t0 := time.Now()
				s.msyncOp(b, pgs, page)
				t1 := time.Now()
				s.commitOp(b, randomPages(rng, n), page)
				t2 := time.Now()
				tBase += t1.Sub(t0)
				tAtomic += t2.Sub(t1)
				lats = append(lats, t2.Sub(t1))
				if (i+1)%perCheckpoint == 0 {
					if err := s.j.Checkpoint(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			slices.Sort(lats)
			b.ReportMetric(float64(tAtomic.Microseconds())/float64(b.N), "atomic-µs/op")
			b.ReportMetric(float64(tBase.Microseconds())/float64(b.N), "msync-µs/op")
			b.ReportMetric(float64(lats[len(lats)*99/100].Microseconds()), "atomic-p99-µs")
			b.ReportMetric(float64(tAtomic)/float64(tBase), "atomic/msync")
		})
	}
}

// throughputBlock is how many operations each side runs before the other
// takes its turn in BenchmarkCommitThroughput.
const throughputBlock = 25

// BenchmarkCommitThroughput compares sustained throughput, checkpointing
// included. The baseline and the atomic commits take turns in blocks of
// throughputBlock operations on the same file, so drift in the disk's
// speed affects both alike; each atomic block ends with a checkpoint
// (home writes and syncs) inside its timing, which charges the atomic side
// with more checkpoints than its 64 MiB journal would need. Reported:
// operations per second of each and their ratio (atomic/baseline; the goal
// is >= 0.8).
func BenchmarkCommitThroughput(b *testing.B) {
	for _, n := range benchPageCounts {
		b.Run(fmt.Sprintf("pages=%d", n), func(b *testing.B) {
			s := newBenchSetup(b, journal.Options{Size: 64 << 20}, mmio.Options{})
			rng := rand.New(rand.NewPCG(2, uint64(n)))
			page := make([]byte, mmio.PageSize)
			var tBase, tAtomic time.Duration
			b.ResetTimer()
			for done := 0; done < b.N; done += throughputBlock {
				k := min(throughputBlock, b.N-done)
				sets := make([][]int64, k)
				for i := range sets {
					sets[i] = randomPages(rng, n)
				}
				t0 := time.Now()
				for _, set := range sets {
					s.msyncOp(b, set, page)
				}
				t1 := time.Now()
				for _, set := range sets {
					s.commitOp(b, set, page)
				}
				if err := s.j.Checkpoint(); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				tBase += t1.Sub(t0)
				tAtomic += t2.Sub(t1)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/tAtomic.Seconds(), "atomic-ops/s")
			b.ReportMetric(float64(b.N)/tBase.Seconds(), "msync-ops/s")
			b.ReportMetric(tBase.Seconds()/tAtomic.Seconds(), "atomic/msync-throughput")
		})
	}
}
