//go:build linux

package mmio_test

import (
	"context"
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"mapstore/mmio"
)

// residentCount returns how many pages of the region are resident.
func residentCount(t *testing.T, r *mmio.Region) int {
	t.Helper()
	res, err := r.Resident(0, int(r.Size()))
	if err != nil {
		t.Fatalf("Resident: %v", err)
	}
	if int64(len(res)) != r.Size()/pg {
		t.Fatalf("Resident returned %d entries for %d pages", len(res), r.Size()/pg)
	}
	n := 0
	for _, in := range res {
		if in {
			n++
		}
	}
	return n
}

func TestPrefetchPagesInDroppedCache(t *testing.T) {
	const size = 4 << 20
	const pages = size / pg
	fx := mapOS.open(t, size, mmio.Options{}) // written and fsynced
	// Clean pages can be dropped from the page cache; the untouched
	// mapping holds none of them.
	if err := unix.Fadvise(int(fx.f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		t.Skipf("cannot drop the page cache here: fadvise: %v", err)
	}
	before := residentCount(t, fx.r)
	if before == pages {
		t.Skip("cannot drop the page cache here: every page stayed resident after FADV_DONTNEED")
	}
	t.Logf("%d of %d pages resident after FADV_DONTNEED", before, pages)

	if err := fx.r.Prefetch(context.Background(), 0, size); err != nil {
		t.Fatalf("Prefetch: %v", err)
	}
	if after := residentCount(t, fx.r); after != pages {
		t.Errorf("%d of %d pages resident after Prefetch, want all", after, pages)
	}
	checkEqual(t, "region after Prefetch", readRegion(t, fx.r, 0, size), fx.init)
}

func TestPrefetchPartialRange(t *testing.T) {
	const size = 64 * pg
	fx := mapOS.open(t, size, mmio.Options{})
	if err := unix.Fadvise(int(fx.f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		t.Skipf("cannot drop the page cache here: fadvise: %v", err)
	}
	if residentCount(t, fx.r) == size/pg {
		t.Skip("cannot drop the page cache here: every page stayed resident after FADV_DONTNEED")
	}
	// Bytes [10*pg+1, 20*pg-1) lie in pages 10..19: those become resident.
	if err := fx.r.Prefetch(context.Background(), 10*pg+1, 10*pg-2); err != nil {
		t.Fatal(err)
	}
	res, err := fx.r.Resident(10*pg, 10*pg)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range res {
		if !in {
			t.Errorf("page %d not resident after Prefetch of its range", 10+i)
		}
	}
}

func TestPrefetchBuffered(t *testing.T) {
	fx := bufMem.open(t, 8*pg, mmio.Options{})
	if residentCount(t, fx.r) != 0 {
		t.Fatal("a fresh buffered region has loaded pages")
	}
	if err := fx.r.Prefetch(context.Background(), pg, 2*pg); err != nil {
		t.Fatal(err)
	}
	res, err := fx.r.Resident(0, 8*pg)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range res {
		if want := i == 1 || i == 2; in != want {
			t.Errorf("page %d resident = %v, want %v", i, in, want)
		}
	}
	checkEqual(t, "prefetched pages", readRegion(t, fx.r, pg, 2*pg), fx.init[pg:3*pg])
}

func TestPrefetchCancelled(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fx := b.open(t, 8*pg, mmio.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := fx.r.Prefetch(ctx, 0, 8*pg); !errors.Is(err, context.Canceled) {
			t.Errorf("Prefetch with a cancelled context: %v, want context.Canceled", err)
		}
		// An empty range has nothing to wait for.
		if err := fx.r.Prefetch(ctx, 0, 0); err != nil {
			t.Errorf("Prefetch of nothing: %v", err)
		}
	})
}
