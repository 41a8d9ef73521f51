//go:build linux

package mmio_test

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"mapstore/mmio"
)

// truncatedMapping maps an 8-page file, touches every page, and truncates
// the file to nothing behind the region's back: every page of the mapping
// now lies beyond the end of the file, where an access raises SIGBUS.
func truncatedMapping(t *testing.T) *fixture {
	t.Helper()
	fx := mapOS.open(t, 8*pg, mmio.Options{})
	checkEqual(t, "region before truncation", readRegion(t, fx.r, 0, 8*pg), fx.init)
	if err := os.Truncate(fx.path, 0); err != nil {
		t.Fatal(err)
	}
	return fx
}

func TestFaultReadAtTruncatedFile(t *testing.T) {
	fx := truncatedMapping(t)
	buf := make([]byte, 100)
	for _, off := range []int64{0, 3*pg - 50, 8*pg - 100} {
		if _, err := fx.r.ReadAt(buf, off); !errors.Is(err, mmio.ErrFault) {
			t.Errorf("ReadAt(100 at %d) of a truncated file: %v, want ErrFault", off, err)
		}
	}
	// The fault is not sticky: once the file is long again, reads work
	// and show the file (zeros now).
	if err := os.Truncate(fx.path, 8*pg); err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "region after the file grew back", readRegion(t, fx.r, 0, 8*pg), make([]byte, 8*pg))
}

func TestFaultWriteAtTruncatedFile(t *testing.T) {
	fx := truncatedMapping(t)
	tx := fx.r.Begin()
	// Copy-on-write must read the file page first, which faults.
	if _, err := tx.WriteAt(fill(1, 10), pg); !errors.Is(err, mmio.ErrFault) {
		t.Fatalf("WriteAt on a truncated file: %v, want ErrFault", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatalf("Rollback after the fault: %v", err)
	}
	if got := fx.r.PrivateBytes(); got != 0 {
		t.Errorf("PrivateBytes() = %d after rollback, want 0", got)
	}
}

func TestFaultPrefetchTruncatedFile(t *testing.T) {
	fx := truncatedMapping(t)
	// Truncation unmapped the pages and dropped them from the page cache.
	res, err := fx.r.Resident(0, 8*pg)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range res {
		if in {
			t.Errorf("page %d still resident after truncation", i)
		}
	}
	err = fx.r.Prefetch(context.Background(), 2*pg, 4*pg)
	if !errors.Is(err, mmio.ErrFault) {
		t.Fatalf("Prefetch of a truncated range: %v, want ErrFault", err)
	}
	// MADV_POPULATE_READ reports EFAULT where an access would raise
	// SIGBUS; the pread fallback of kernels without it hits end of file.
	if !errors.Is(err, unix.EFAULT) && !errors.Is(err, io.EOF) {
		t.Errorf("Prefetch error %v wraps neither EFAULT nor EOF", err)
	}
}

// TestFaultWriteHomeAfterTruncation: truncation also discards the private
// copies of the truncated pages (the kernel unmaps COW pages too), so a
// journaled page's memory is gone. Writing it home must fail the region,
// not crash the process or write garbage quietly.
func TestFaultWriteHomeAfterTruncation(t *testing.T) {
	fx := mapOS.open(t, 4*pg, mmio.Options{})
	commit(t, fx.r, fill(9, pg), pg)
	if err := os.Truncate(fx.path, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.r.ReadAt(make([]byte, 10), pg); !errors.Is(err, mmio.ErrFault) {
		t.Errorf("ReadAt of a journaled page after truncation: %v, want ErrFault", err)
	}
	n, err := fx.r.WriteHome()
	if err == nil {
		t.Fatalf("WriteHome from truncated memory wrote %d pages without error", n)
	}
	if !errors.Is(err, unix.EFAULT) {
		t.Errorf("WriteHome error %v, want EFAULT from the write", err)
	}
	if rerr := fx.r.Err(); !errors.Is(rerr, mmio.ErrFailed) {
		t.Errorf("Err() after the failed WriteHome = %v, want ErrFailed", rerr)
	}
	if _, err := fx.r.Begin().WriteAt(fill(1, 1), 0); !errors.Is(err, mmio.ErrFailed) {
		t.Errorf("WriteAt on the failed region: %v, want ErrFailed", err)
	}
}
