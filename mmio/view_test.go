package mmio_test

import (
	"context"
	"errors"
	"testing"

	"mapstore/mmio"
)

func TestViewAliasesRegion(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fx := b.open(t, 4*pg, mmio.Options{})
		r := fx.r
		const off, n = pg - 100, pg + 200 // pages 0..2
		v, err := r.View(off, n)
		if err != nil {
			t.Fatal(err)
		}
		defer v.Release()
		got := v.Bytes()
		if len(got) != n || cap(got) != n {
			t.Fatalf("view is %d bytes (cap %d), want %d", len(got), cap(got), n)
		}
		checkEqual(t, "view of the fresh region", got, fx.init[off:off+n])

		// A write after the view was taken shows through the same slice,
		// on both sides of a page boundary, committed or not.
		tx := r.Begin()
		write(t, tx, fill(0x5A, 300), off+50)
		checkEqual(t, "view after an uncommitted write", got[50:350], fill(0x5A, 300))
		r.MarkDurable(seal(t, tx))
		commit(t, r, fill(0x6B, 10), 2*pg+50)
		checkEqual(t, "view after a second commit", got[n-50:n-40], fill(0x6B, 10))
		checkEqual(t, "view bytes before the writes", got[:50], fx.init[off:off+50])
		// Writing home does not change what the view shows.
		writeHome(t, fx)
		checkEqual(t, "view after WriteHome", got, readRegion(t, r, off, n))
	})
}

func TestZeroLengthView(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fx := b.open(t, pg, mmio.Options{})
		v, err := fx.r.View(pg, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Bytes()) != 0 {
			t.Errorf("zero-length view has %d bytes", len(v.Bytes()))
		}
		// Even an empty view holds the region open.
		if err := fx.r.Close(); !errors.Is(err, mmio.ErrViewsOutstanding) {
			t.Errorf("Close with an empty view held: %v, want ErrViewsOutstanding", err)
		}
		v.Release()
	})
}

func TestCloseWaitsForViews(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fx := b.open(t, 2*pg, mmio.Options{})
		r := fx.r
		v1, err := r.View(0, 10)
		if err != nil {
			t.Fatal(err)
		}
		v2, err := r.View(pg, pg)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); !errors.Is(err, mmio.ErrViewsOutstanding) {
			t.Fatalf("Close with two views held: %v, want ErrViewsOutstanding", err)
		}
		// The refused Close left the region fully usable.
		checkEqual(t, "view after refused Close", v2.Bytes(), fx.init[pg:2*pg])
		commit(t, r, fill(7, 10), 0)
		checkEqual(t, "view sees a commit after refused Close", v1.Bytes(), fill(7, 10))

		v1.Release()
		v1.Release() // a no-op: must not let Close through with v2 held
		if err := r.Close(); !errors.Is(err, mmio.ErrViewsOutstanding) {
			t.Fatalf("Close with one view held: %v, want ErrViewsOutstanding", err)
		}
		v2.Release()
		if err := r.Close(); err != nil {
			t.Fatalf("Close after Release: %v", err)
		}
		if err := r.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

func TestBytesAfterReleasePanics(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fx := b.open(t, pg, mmio.Options{})
		v, err := fx.r.View(0, 16)
		if err != nil {
			t.Fatal(err)
		}
		v.Release()
		defer func() {
			if recover() == nil {
				t.Error("Bytes after Release did not panic")
			}
		}()
		_ = v.Bytes()
	})
}

func TestOperationsAfterClose(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fx := b.open(t, 2*pg, mmio.Options{Budget: pg, ForegroundReclaimOnly: true})
		r := fx.r
		open := r.Begin()
		write(t, open, fill(1, 10), 0)
		commit(t, r, fill(2, 10), pg)
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}

		buf := make([]byte, 10)
		check := func(op string, err error) {
			t.Helper()
			if !errors.Is(err, mmio.ErrClosed) {
				t.Errorf("%s after Close: %v, want ErrClosed", op, err)
			}
		}
		_, err := r.ReadAt(buf, 0)
		check("ReadAt", err)
		v, err := r.View(0, 10)
		check("View", err)
		if v != nil {
			t.Error("View after Close returned a view")
		}
		check("Prefetch", r.Prefetch(context.Background(), 0, 10))
		_, err = r.Resident(0, 10)
		check("Resident", err)
		check("Reclaim", r.Reclaim())
		_, err = r.WriteHome()
		check("WriteHome", err)
		_, err = open.WriteAt(buf, 0)
		check("WriteAt of a tx begun before Close", err)
		_, err = open.Seal()
		check("Seal of a tx begun before Close", err)
		tx := r.Begin()
		_, err = tx.WriteAt(buf, pg)
		check("WriteAt of a tx begun after Close", err)
		check("Rollback", r.Begin().Rollback())
		if err := r.Err(); !errors.Is(err, mmio.ErrClosed) {
			t.Errorf("Err() after Close = %v, want ErrClosed", err)
		}
		// Nothing was written home: the journaled page is the journal's to
		// replay.
		checkEqual(t, "file after Close", readFile(t, fx.f, 0, 2*pg), fx.init)
	})
}
