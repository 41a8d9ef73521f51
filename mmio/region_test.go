package mmio_test

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"testing"

	"mapstore/mmio"
)

func TestReadWriteAcrossPages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fx := b.open(t, 4*pg, mmio.Options{})
		if got := fx.r.Size(); got != 4*pg {
			t.Fatalf("Size() = %d, want %d", got, 4*pg)
		}
		checkEqual(t, "fresh region", readRegion(t, fx.r, 0, 4*pg), fx.init)

		// Pages 0..2: starts inside page 0, covers page 1, ends inside 2.
		model := bytes.Clone(fx.init)
		p := make([]byte, pg+2000)
		for i := range p {
			p[i] = byte(255 - i%251)
		}
		const off = pg - 1000
		tx := fx.r.Begin()
		write(t, tx, p, off)
		copy(model[off:], p)
		if tx.Len() != 3 {
			t.Errorf("Tx.Len() = %d, want 3", tx.Len())
		}

		// Reads see the uncommitted write, through the region and the Tx,
		// including reads that start and end mid-page.
		checkEqual(t, "region after write", readRegion(t, fx.r, 0, 4*pg), model)
		got := make([]byte, 10)
		if _, err := tx.ReadAt(got, off-5); err != nil {
			t.Fatal(err)
		}
		checkEqual(t, "tx.ReadAt straddling the write", got, model[off-5:off+5])
		checkEqual(t, "read ending mid-page", readRegion(t, fx.r, pg+3, 2*pg-10), model[pg+3:3*pg-7])

		pages := seal(t, tx)
		if len(pages) != 3 {
			t.Fatalf("Seal returned %d pages, want 3", len(pages))
		}
		for i, sp := range pages {
			if sp.Page != int64(i) || sp.Off != int64(i)*pg || len(sp.Data) != pg {
				t.Errorf("sealed page %d = {Page %d, Off %d, %d bytes}", i, sp.Page, sp.Off, len(sp.Data))
				continue
			}
			checkEqual(t, "sealed page data", sp.Data, model[i*pg:(i+1)*pg])
		}
		fx.r.MarkDurable(pages)
		checkEqual(t, "region after commit", readRegion(t, fx.r, 0, 4*pg), model)
	})
}

func TestOutOfRange(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fx := b.open(t, 2*pg, mmio.Options{})
		r := fx.r
		buf := make([]byte, 20)
		for _, off := range []int64{-1, 2*pg - 10, 2 * pg, 1 << 40} {
			if _, err := r.ReadAt(buf, off); !errors.Is(err, mmio.ErrRange) {
				t.Errorf("ReadAt(20 at %d) = %v, want ErrRange", off, err)
			}
			tx := r.Begin()
			if _, err := tx.WriteAt(buf, off); !errors.Is(err, mmio.ErrRange) {
				t.Errorf("WriteAt(20 at %d) = %v, want ErrRange", off, err)
			}
			if err := tx.Rollback(); err != nil {
				t.Errorf("Rollback: %v", err)
			}
			if v, err := r.View(off, len(buf)); !errors.Is(err, mmio.ErrRange) {
				t.Errorf("View(%d, 20) = %v, want ErrRange", off, err)
				if v != nil {
					v.Release()
				}
			}
			if err := r.Prefetch(context.Background(), off, len(buf)); !errors.Is(err, mmio.ErrRange) {
				t.Errorf("Prefetch(%d, 20) = %v, want ErrRange", off, err)
			}
			if _, err := r.Resident(off, len(buf)); !errors.Is(err, mmio.ErrRange) {
				t.Errorf("Resident(%d, 20) = %v, want ErrRange", off, err)
			}
		}
		// The failed writes left nothing behind.
		if got := r.PrivateBytes(); got != 0 {
			t.Errorf("PrivateBytes() = %d after rejected writes, want 0", got)
		}
		checkEqual(t, "region", readRegion(t, r, 0, 2*pg), fx.init)
		// The last byte is in range.
		if _, err := r.ReadAt(buf[:1], 2*pg-1); err != nil {
			t.Errorf("ReadAt of the last byte: %v", err)
		}
	})
}

func TestOpenRejectsRegionBeyondFile(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fx := b.open(t, 2*pg, mmio.Options{})
		open := mmio.NewBuffered
		if b.mapped {
			open = mmio.Map
		}
		for _, opts := range []mmio.Options{
			{Size: 3 * pg},
			{Offset: pg, Size: 2 * pg},
			{Offset: 2 * pg},
		} {
			if r, err := open(fx.f, opts); !errors.Is(err, mmio.ErrRange) {
				t.Errorf("open with %+v: %v, want ErrRange", opts, err)
				if r != nil {
					r.Close()
				}
			}
		}
	})
}

func TestWritesReachFileOnlyAtWriteHome(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fx := b.open(t, 4*pg, mmio.Options{})
		r := fx.r
		newBytes := fill(0xAB, pg+100)
		const off = 2*pg - 50
		model := bytes.Clone(fx.init)
		copy(model[off:], newBytes)

		tx := r.Begin()
		write(t, tx, newBytes, off)
		checkEqual(t, "file with an open tx", readFile(t, fx.f, 0, 4*pg), fx.init)
		pages := seal(t, tx)
		checkEqual(t, "file with a sealed tx", readFile(t, fx.f, 0, 4*pg), fx.init)
		r.MarkDurable(pages)
		checkEqual(t, "file with a journaled tx", readFile(t, fx.f, 0, 4*pg), fx.init)
		checkEqual(t, "region", readRegion(t, r, 0, 4*pg), model)

		if n := writeHome(t, fx); n != 3 {
			t.Errorf("WriteHome wrote %d pages, want 3", n)
		}
		checkEqual(t, "file after WriteHome", readFile(t, fx.f, 0, 4*pg), model)
		checkEqual(t, "region after WriteHome", readRegion(t, r, 0, 4*pg), model)
		if n := writeHome(t, fx); n != 0 {
			t.Errorf("second WriteHome wrote %d pages, want 0", n)
		}
	})
}

func TestRollback(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		t.Run("never-journaled", func(t *testing.T) {
			fx := b.open(t, 4*pg, mmio.Options{})
			tx := fx.r.Begin()
			write(t, tx, fill(0x11, 2*pg), pg)
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			checkEqual(t, "region after rollback", readRegion(t, fx.r, 0, 4*pg), fx.init)
			if got := fx.r.PrivateBytes(); got != 0 {
				t.Errorf("PrivateBytes() = %d, want 0", got)
			}
			if n := writeHome(t, fx); n != 0 {
				t.Errorf("WriteHome wrote %d pages, want 0", n)
			}
			checkEqual(t, "file", readFile(t, fx.f, 0, 4*pg), fx.init)
		})

		t.Run("journaled-not-home", func(t *testing.T) {
			fx := b.open(t, 4*pg, mmio.Options{})
			model := bytes.Clone(fx.init)
			commit(t, fx.r, fill(0x22, pg), pg) // page 1 journaled
			copy(model[pg:], fill(0x22, pg))

			// One tx over a journaled page (1, the frozen-copy path) and a
			// never-journaled one (2).
			tx := fx.r.Begin()
			write(t, tx, fill(0x33, pg+10), pg+5)
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			checkEqual(t, "region after rollback", readRegion(t, fx.r, 0, 4*pg), model)
			checkEqual(t, "file before WriteHome", readFile(t, fx.f, 0, 4*pg), fx.init)
			if n := writeHome(t, fx); n != 1 {
				t.Errorf("WriteHome wrote %d pages, want 1", n)
			}
			checkEqual(t, "file after WriteHome", readFile(t, fx.f, 0, 4*pg), model)
		})

		t.Run("after-write-home-of-frozen", func(t *testing.T) {
			// The frozen copy went home while the tx was open; rollback then
			// finds the committed version at home.
			fx := b.open(t, 2*pg, mmio.Options{})
			model := bytes.Clone(fx.init)
			commit(t, fx.r, fill(0x44, pg), 0)
			copy(model, fill(0x44, pg))
			tx := fx.r.Begin()
			write(t, tx, fill(0x55, 100), 7)
			writeHome(t, fx)
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			checkEqual(t, "region", readRegion(t, fx.r, 0, 2*pg), model)
			checkEqual(t, "file", readFile(t, fx.f, 0, 2*pg), model)
		})
	})
}

func TestConflictAndTxDone(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fx := b.open(t, 4*pg, mmio.Options{})
		r := fx.r
		tx1, tx2 := r.Begin(), r.Begin()
		write(t, tx1, fill(1, 10), 0)
		if _, err := tx2.WriteAt(fill(2, 10), 100); !errors.Is(err, mmio.ErrConflict) {
			t.Fatalf("second tx writing a page dirty in the first: %v, want ErrConflict", err)
		}
		write(t, tx2, fill(2, 10), pg) // another page is fine
		checkEqual(t, "page 0 keeps tx1's bytes", readRegion(t, r, 0, 10), fill(1, 10))
		checkEqual(t, "page 0 beyond tx1's bytes", readRegion(t, r, 100, 10), fx.init[100:110])

		r.MarkDurable(seal(t, tx1))
		// Sealed and durable: the page is no longer owned by tx1.
		write(t, tx2, fill(2, 10), 100)
		r.MarkDurable(seal(t, tx2))

		if _, err := tx1.WriteAt(fill(3, 1), 2*pg); !errors.Is(err, mmio.ErrTxDone) {
			t.Errorf("sealed: WriteAt = %v, want ErrTxDone", err)
		}
		if _, err := tx1.Seal(); !errors.Is(err, mmio.ErrTxDone) {
			t.Errorf("sealed: Seal = %v, want ErrTxDone", err)
		}
		if err := tx1.Rollback(); !errors.Is(err, mmio.ErrTxDone) {
			t.Errorf("sealed: Rollback = %v, want ErrTxDone", err)
		}
		tx3 := r.Begin()
		write(t, tx3, fill(3, 1), 3*pg)
		if err := tx3.Rollback(); err != nil {
			t.Fatal(err)
		}
		if _, err := tx3.WriteAt(fill(3, 1), 3*pg); !errors.Is(err, mmio.ErrTxDone) {
			t.Errorf("rolled back: WriteAt = %v, want ErrTxDone", err)
		}
		if _, err := tx3.Seal(); !errors.Is(err, mmio.ErrTxDone) {
			t.Errorf("rolled back: Seal = %v, want ErrTxDone", err)
		}
		want := bytes.Clone(fx.init)
		copy(want[0:], fill(1, 10))
		copy(want[100:], fill(2, 10))
		copy(want[pg:], fill(2, 10))
		checkEqual(t, "region", readRegion(t, r, 0, 4*pg), want)
	})
}

func TestWriteToPendingPageWaitsForMarkDurable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fx := b.open(t, 2*pg, mmio.Options{})
		r := fx.r
		sealed := fill(0xA1, pg)
		tx1 := r.Begin()
		write(t, tx1, sealed, 0)
		pages := seal(t, tx1)

		starting := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			tx2 := r.Begin()
			close(starting)
			if _, err := tx2.WriteAt(fill(0xB2, 64), 32); err != nil {
				done <- err
				return
			}
			pages, err := tx2.Seal()
			if err == nil {
				r.MarkDurable(pages)
			}
			done <- err
		}()
		<-starting
		// Give the writer every chance to (wrongly) get through; a correct
		// region makes it wait however long this takes.
		for range 100 {
			runtime.Gosched()
		}
		select {
		case err := <-done:
			t.Fatalf("write to a pending page finished before MarkDurable (err %v)", err)
		default:
		}
		// The journal is still writing the sealed bytes: they must not move.
		checkEqual(t, "sealed page data before MarkDurable", pages[0].Data, sealed)
		r.MarkDurable(pages)
		if err := <-done; err != nil {
			t.Fatalf("writer: %v", err)
		}
		want := bytes.Clone(sealed)
		copy(want[32:], fill(0xB2, 64))
		checkEqual(t, "page after both commits", readRegion(t, r, 0, pg), want)
		writeHome(t, fx)
		checkEqual(t, "file after WriteHome", readFile(t, fx.f, 0, pg), want)
	})
}

func TestWriteHomeWritesFrozenCopy(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fx := b.open(t, 3*pg, mmio.Options{})
		r := fx.r
		committed := bytes.Clone(fx.init)
		copy(committed[pg:], fill(0xC1, pg))
		commit(t, r, fill(0xC1, pg), pg) // page 1 journaled

		// Page 1 again, uncommitted.
		tx := r.Begin()
		write(t, tx, fill(0xD2, 300), pg+200)
		uncommitted := bytes.Clone(committed)
		copy(uncommitted[pg+200:], fill(0xD2, 300))

		if n := writeHome(t, fx); n != 1 {
			t.Errorf("WriteHome with an open tx wrote %d pages, want 1", n)
		}
		checkEqual(t, "file with an open tx", readFile(t, fx.f, 0, 3*pg), committed)
		checkEqual(t, "region with an open tx", readRegion(t, r, 0, 3*pg), uncommitted)

		// Sealed but not yet durable: the file still gets the old version.
		pages := seal(t, tx)
		if n := writeHome(t, fx); n != 0 {
			t.Errorf("WriteHome after the frozen copy went home wrote %d pages, want 0", n)
		}
		checkEqual(t, "file with a pending tx", readFile(t, fx.f, 0, 3*pg), committed)
		r.MarkDurable(pages)
		if n := writeHome(t, fx); n != 1 {
			t.Errorf("WriteHome after MarkDurable wrote %d pages, want 1", n)
		}
		checkEqual(t, "file after the second commit", readFile(t, fx.f, 0, 3*pg), uncommitted)
	})
}

func TestWriteHomeFrozenCopyWhilePending(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fx := b.open(t, 2*pg, mmio.Options{})
		r := fx.r
		commit(t, r, fill(0xE1, pg), 0)
		tx := r.Begin()
		write(t, tx, fill(0xE2, pg), 0)
		pages := seal(t, tx)
		// Journaled version 1, pending version 2: WriteHome takes version 1.
		if n := writeHome(t, fx); n != 1 {
			t.Errorf("WriteHome wrote %d pages, want 1", n)
		}
		checkEqual(t, "file", readFile(t, fx.f, 0, pg), fill(0xE1, pg))
		checkEqual(t, "sealed data", pages[0].Data, fill(0xE2, pg))
		r.MarkDurable(pages)
		writeHome(t, fx)
		checkEqual(t, "file after MarkDurable", readFile(t, fx.f, 0, pg), fill(0xE2, pg))
	})
}

func TestFailWakesWriterWaitingOnPendingPage(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		fx := b.open(t, 2*pg, mmio.Options{})
		r := fx.r
		tx1 := r.Begin()
		write(t, tx1, fill(1, 10), 0)
		pages := seal(t, tx1)

		done := make(chan error, 1)
		go func() {
			_, err := r.Begin().WriteAt(fill(2, 10), 0)
			done <- err
		}()
		// The journal's write of the record failed.
		cause := errors.New("log device on fire")
		r.Fail(cause)
		if err := <-done; !errors.Is(err, mmio.ErrFailed) || !errors.Is(err, cause) {
			t.Fatalf("writer woken by Fail: %v, want ErrFailed wrapping the cause", err)
		}
		checkEqual(t, "sealed page data after Fail", pages[0].Data[:10], fill(1, 10))
		if _, err := r.Begin().Seal(); !errors.Is(err, mmio.ErrFailed) {
			t.Errorf("Seal on a failed region: %v, want ErrFailed", err)
		}
		if _, err := r.WriteHome(); !errors.Is(err, mmio.ErrFailed) {
			t.Errorf("WriteHome on a failed region: %v, want ErrFailed", err)
		}
		checkEqual(t, "file", readFile(t, fx.f, 0, 2*pg), fx.init)
	})
}
