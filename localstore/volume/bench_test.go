package volume_test

import (
	"crypto/rand"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"mapstore/internal/vfs"
	"mapstore/journal"
	"mapstore/localstore/volume"
)

var (
	seqObject = flag.Int64("seqsize", 256<<20, "object size for BenchmarkSequentialRead")
	seqAhead  = flag.Bool("seqahead", false, "BenchmarkSequentialRead: read the next 4 MiB while the current one is consumed, as a streaming GET does")
	seqLoad   = flag.Float64("seqload", 0.5, "fraction of the device in use by other objects before the object is written")
)

// BenchmarkSequentialRead reads one large object through the translation
// (Volume.ReadBlocks in 4 MiB requests: one lookup per block, one pread
// per physically contiguous extent) and, in the same run, a plain file of
// the same size with 4 MiB preads, both from a cold page cache, taking
// turns. The device is first filled to -seqload with other objects, so
// the object's runs land wherever the table puts them. Reported: MB/s of
// each and their ratio (goal >= 0.8), and the object's extents.
func BenchmarkSequentialRead(b *testing.B) {
	dir := b.TempDir()
	fs := vfs.NewOSFS()
	size := *seqObject
	devSize := int64(float64(size)/(1-*seqLoad)) + 64<<20
	dev, err := fs.Create(filepath.Join(dir, "device"))
	if err != nil {
		b.Fatal(err)
	}
	defer dev.Close()
	if err := dev.Truncate(devSize); err != nil {
		b.Fatal(err)
	}
	v, err := volume.Open(fs, filepath.Join(dir, "journal"), dev, volume.Options{Journal: journal.Options{Size: 16 << 20}})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	chunk := make([]byte, 1<<20)
	rand.Read(chunk)
	write := func(obj uint64, n int64) {
		tx := v.Begin()
		for off := int64(0); off < n; off += int64(len(chunk)) {
			part := chunk[:min(int64(len(chunk)), n-off)]
			if err := v.WriteBlocks(tx, obj, uint64(off/volume.BlockSize), part); err != nil {
				b.Fatal(err)
			}
			if off%(32<<20) == 0 {
				if err := v.Commit(tx); err != nil {
					b.Fatal(err)
				}
				tx = v.Begin()
			}
		}
		if err := v.Commit(tx); err != nil {
			b.Fatal(err)
		}
	}
	total, _ := v.Blocks()
	// Other objects of 64 KiB to 4 MiB until the device is -seqload full.
	obj := uint64(volume.FirstObject + 1)
	for _, used := v.Blocks(); float64(used) < *seqLoad*float64(total); _, used = v.Blocks() {
		write(obj, int64(16+obj%1009)<<12)
		obj++
	}
	const target = volume.FirstObject
	write(target, size)
	ext := v.Translation().Extents(target, 0, uint64(size/volume.BlockSize))

	plain, err := fs.Create(filepath.Join(dir, "plain"))
	if err != nil {
		b.Fatal(err)
	}
	defer plain.Close()
	for off := int64(0); off < size; off += int64(len(chunk)) {
		if _, err := plain.WriteAt(chunk, off); err != nil {
			b.Fatal(err)
		}
	}
	if err := plain.Sync(); err != nil {
		b.Fatal(err)
	}
	if err := dev.Sync(); err != nil {
		b.Fatal(err)
	}

	buf, buf2 := make([]byte, 4<<20), make([]byte, 4<<20)
	cold := func(f vfs.File) {
		if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
			b.Fatal(err)
		}
	}
	var tTrans, tPlain time.Duration
	b.SetBytes(2 * size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cold(dev)
		start := time.Now()
		if *seqAhead {
			readAhead(b, v, target, size, buf, buf2)
		} else {
			for off := int64(0); off < size; off += int64(len(buf)) {
				if err := v.ReadBlocks(target, uint64(off/volume.BlockSize), buf[:min(int64(len(buf)), size-off)]); err != nil {
					b.Fatal(err)
				}
			}
		}
		tTrans += time.Since(start)
		cold(plain)
		start = time.Now()
		for off := int64(0); off < size; off += int64(len(buf)) {
			if _, err := plain.ReadAt(buf[:min(int64(len(buf)), size-off)], off); err != nil {
				b.Fatal(err)
			}
		}
		tPlain += time.Since(start)
	}
	mb := float64(size) * float64(b.N) / 1e6
	b.ReportMetric(mb/tTrans.Seconds(), "translation-MB/s")
	b.ReportMetric(mb/tPlain.Seconds(), "pread-MB/s")
	b.ReportMetric(tPlain.Seconds()/tTrans.Seconds(), "ratio")
	b.ReportMetric(float64(len(ext)), "extents")
}

// readAhead reads the object in 4 MiB requests with the next request in
// flight while the current one is handed on (double buffering, what a
// streaming GET does; the kernel's readahead does the same for the plain
// file).
func readAhead(b *testing.B, v *volume.Volume, obj uint64, size int64, bufs ...[]byte) {
	type result struct{ err error }
	n := int64(len(bufs[0]))
	issue := func(i int64) chan result {
		c := make(chan result, 1)
		go func() {
			off := i * n
			c <- result{v.ReadBlocks(obj, uint64(off/volume.BlockSize), bufs[i%2][:min(n, size-off)])}
		}()
		return c
	}
	chunks := (size + n - 1) / n
	next := issue(0)
	for i := int64(0); i < chunks; i++ {
		cur := next
		if i+1 < chunks {
			next = issue(i + 1) // in flight while chunk i completes
		}
		if r := <-cur; r.err != nil {
			b.Fatal(r.err)
		}
	}
}
