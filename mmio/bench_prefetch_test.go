//go:build linux

package mmio_test

import (
	"context"
	"hash/crc32"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"mapstore/internal/vfs"
	"mapstore/mmio"
)

const (
	coldFilePages = 64 << 10 // 256 MiB
	coldReaders   = 64
	coldReadsEach = 64
)

// coldFile writes a file of real (non-zero, allocated) data, so reads must
// go to the disk once its page cache is dropped.
func coldFile(b *testing.B) vfs.File {
	b.Helper()
	f, err := vfs.NewOSFS().Create(filepath.Join(b.TempDir(), "cold"))
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 4<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	for off := int64(0); off < coldFilePages*mmio.PageSize; off += int64(len(buf)) {
		if _, err := f.WriteAt(buf, off); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

// coldRun drops the file's page cache, maps it afresh and has coldReaders
// goroutines read coldReadsEach random pages each, through a View, with or
// without Prefetch first. Meanwhile two goroutines do CPU work (CRC32 of
// 4 KiB blocks) until the readers are done. It returns the readers' elapsed
// time and the number of CPU blocks done.
func coldRun(b *testing.B, f vfs.File, prefetch bool, seed uint64) (time.Duration, int64) {
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		b.Fatal(err)
	}
	r, err := mmio.Map(f, mmio.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	var wg sync.WaitGroup
	var sum [coldReaders]byte
	var work atomic.Int64
	done := make(chan struct{})
	var cpu sync.WaitGroup
	for w := 0; w < 2; w++ {
		cpu.Go(func() {
			blk := make([]byte, 4096)
			for {
				select {
				case <-done:
					return
				default:
				}
				blk[0] = byte(crc32.ChecksumIEEE(blk))
				work.Add(1)
			}
		})
	}
	start := time.Now()
	for g := 0; g < coldReaders; g++ {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(g)))
			for i := 0; i < coldReadsEach; i++ {
				off := rng.Int64N(coldFilePages) * mmio.PageSize
				if prefetch {
					if err := r.Prefetch(context.Background(), off, mmio.PageSize); err != nil {
						b.Error(err)
						return
					}
				}
				v, err := r.View(off, mmio.PageSize)
				if err != nil {
					b.Error(err)
					return
				}
				sum[g] += v.Bytes()[0] + v.Bytes()[mmio.PageSize-1]
				v.Release()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(done)
	cpu.Wait()
	return elapsed, work.Load()
}

// BenchmarkColdReads compares cold random 4 KiB reads of a mapped file by
// 64 goroutines on GOMAXPROCS=2, with and without Prefetch, the page cache
// dropped (POSIX_FADV_DONTNEED) before each run, while two goroutines do
// CPU work. Without Prefetch every miss is a page fault that holds one of
// the two Ps while the disk works; with it the wait happens inside
// madvise(MADV_POPULATE_READ), a system call, and the runtime gives the P
// to other goroutines meanwhile: more reads can be in flight, and the CPU
// work goes on. The two variants alternate in one loop. Reported: reads per
// second of each, CPU blocks per second of each, and the ratios.
func BenchmarkColdReads(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	f := coldFile(b)
	var tPlain, tPrefetch time.Duration
	var wPlain, wPrefetch int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, w := coldRun(b, f, false, uint64(i))
		tPlain += d
		wPlain += w
		d, w = coldRun(b, f, true, uint64(i))
		tPrefetch += d
		wPrefetch += w
	}
	b.StopTimer()
	reads := float64(b.N * coldReaders * coldReadsEach)
	b.ReportMetric(reads/tPlain.Seconds(), "fault-reads/s")
	b.ReportMetric(reads/tPrefetch.Seconds(), "prefetch-reads/s")
	b.ReportMetric(tPlain.Seconds()/tPrefetch.Seconds(), "reads-prefetch/fault")
	cpuPlain := float64(wPlain) / tPlain.Seconds()
	cpuPrefetch := float64(wPrefetch) / tPrefetch.Seconds()
	b.ReportMetric(cpuPlain, "fault-cpu-blocks/s")
	b.ReportMetric(cpuPrefetch, "prefetch-cpu-blocks/s")
	b.ReportMetric(cpuPrefetch/cpuPlain, "cpu-prefetch/fault")
}
