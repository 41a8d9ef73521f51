//go:build linux

package mmio

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"mapstore/internal/vfs"
)

// prefetchChunk is how many pages Prefetch checks and populates per system
// call, so a cancelled context is noticed within one chunk.
const prefetchChunk = 256

// mmapBacking is a MAP_PRIVATE mapping of [off, off+size) of a file. Pages
// that were never written show the file's page cache; a write makes a
// private copy that the kernel never writes back to the file, so only the
// region decides what reaches the device and when.
type mmapBacking struct {
	f    vfs.File
	off  int64
	data []byte
	// noPopulate is set once the kernel has refused MADV_POPULATE_READ
	// (Linux before 5.14); prefetch then reads the file with pread.
	noPopulate atomic.Bool
	// populateRead is madvise(MADV_POPULATE_READ); tests replace it to
	// play an older kernel.
	populateRead func(mem []byte) error
}

func madvisePopulateRead(mem []byte) error { return unix.Madvise(mem, unix.MADV_POPULATE_READ) }

func newMmapBacking(f vfs.File, off, size int64) (*mmapBacking, error) {
	fd := f.Fd()
	if fd == vfs.InvalidFd {
		return nil, fmt.Errorf("%w: %s has no OS descriptor", ErrNoMmap, f.Name())
	}
	data, err := unix.Mmap(int(fd), off, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE)
	if err != nil {
		return nil, fmt.Errorf("mmio: mmap %s [%d, %d): %w", f.Name(), off, off+size, err)
	}
	return &mmapBacking{f: f, off: off, data: data, populateRead: madvisePopulateRead}, nil
}

func (m *mmapBacking) bytes(pg, n int64) ([]byte, error) {
	return m.data[pg*PageSize : (pg+n)*PageSize], nil
}

func (m *mmapBacking) drop(pg, n int64, _ bool) error {
	if err := unix.Madvise(m.data[pg*PageSize:(pg+n)*PageSize], unix.MADV_DONTNEED); err != nil {
		return fmt.Errorf("mmio: madvise(DONTNEED) pages [%d, %d): %w", pg, pg+n, err)
	}
	return nil
}

func (m *mmapBacking) resident(pg, n int64, out []bool) error {
	vec := make([]byte, n)
	if err := mincore(m.data[pg*PageSize:(pg+n)*PageSize], vec); err != nil {
		return fmt.Errorf("mmio: mincore pages [%d, %d): %w", pg, pg+n, err)
	}
	for i, v := range vec {
		out[i] = v&1 != 0
	}
	return nil
}

// prefetch checks residency with mincore and faults the missing runs in
// with MADV_POPULATE_READ. Both are system calls: while the kernel waits
// for the device, the Go runtime hands this goroutine's P to another
// thread, which a plain page fault would not allow.
func (m *mmapBacking) prefetch(ctx context.Context, pg, n int64) error {
	vec := make([]byte, min(n, prefetchChunk))
	for n > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		c := min(n, prefetchChunk)
		if err := mincore(m.data[pg*PageSize:(pg+c)*PageSize], vec[:c]); err != nil {
			return fmt.Errorf("mmio: mincore pages [%d, %d): %w", pg, pg+c, err)
		}
		for i := int64(0); i < c; {
			if vec[i]&1 != 0 {
				i++
				continue
			}
			j := i + 1
			for j < c && vec[j]&1 == 0 {
				j++
			}
			if err := m.populate(pg+i, j-i); err != nil {
				return err
			}
			i = j
		}
		pg += c
		n -= c
	}
	return nil
}

func (m *mmapBacking) populate(pg, n int64) error {
	mem := m.data[pg*PageSize : (pg+n)*PageSize]
	if !m.noPopulate.Load() {
		err := m.populateRead(mem)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINVAL):
			// The kernel predates MADV_POPULATE_READ: fall back for good.
			m.noPopulate.Store(true)
		default:
			return fmt.Errorf("%w: populating pages [%d, %d): %w", ErrFault, pg, pg+n, err)
		}
	}
	// Fallback: read the range through the file (a system call that
	// releases the P) so the later fault on the mapping is a minor one.
	buf := make([]byte, len(mem))
	if _, err := m.f.ReadAt(buf, m.off+pg*PageSize); err != nil {
		return fmt.Errorf("%w: reading pages [%d, %d): %w", ErrFault, pg, pg+n, err)
	}
	return nil
}

func (m *mmapBacking) close() error {
	if m.data == nil {
		return nil
	}
	err := unix.Munmap(m.data)
	m.data = nil
	if err != nil {
		return fmt.Errorf("mmio: munmap: %w", err)
	}
	return nil
}

// mincore reports in vec[i]&1 whether page i of mem is resident.
func mincore(mem, vec []byte) error {
	if len(mem) == 0 {
		return nil
	}
	_, _, e := unix.RawSyscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&mem[0])), uintptr(len(mem)), uintptr(unsafe.Pointer(&vec[0])))
	if e != 0 {
		return e
	}
	return nil
}
