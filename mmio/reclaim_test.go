package mmio_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"mapstore/mmio"
)

// checkBudget fails the test if the region holds more than its budget.
func checkBudget(t *testing.T, r *mmio.Region, when string) {
	t.Helper()
	if got, budget := r.PrivateBytes(), r.Options().Budget; got > budget {
		t.Fatalf("%s: PrivateBytes() = %d (%d pages), over the budget of %d (%d pages)",
			when, got, got/pg, budget, budget/pg)
	}
}

func TestFullRecyclingStaysWithinBudget(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		const npages = 64
		fx := b.open(t, npages*pg, mmio.Options{Budget: 16 * pg, Policy: mmio.FullRecycling})
		r := fx.r
		model := bytes.Clone(fx.init)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range 200 {
			p := rng.Int64N(npages)
			n := 1 + rng.IntN(200)
			off := p*pg + rng.Int64N(pg-int64(n))
			data := fill(byte(i), n)
			commit(t, r, data, off)
			copy(model[off:], data)
			checkBudget(t, r, "after a commit")
			if i%50 == 49 {
				checkEqual(t, "region during the workload", readRegion(t, r, 0, npages*pg), model)
			}
		}
		st := r.Stats()
		if st.Dropped == 0 || st.PagesWritten == 0 || st.Reclaims == 0 {
			t.Errorf("stats %+v: want reclaims that dropped pages and wrote some home", st)
		}
		if st.PrivatePages*pg != r.PrivateBytes() {
			t.Errorf("Stats().PrivatePages = %d, PrivateBytes() = %d", st.PrivatePages, r.PrivateBytes())
		}
		checkEqual(t, "region after the workload", readRegion(t, r, 0, npages*pg), model)
		writeHome(t, fx)
		checkEqual(t, "file after the final WriteHome", readFile(t, fx.f, 0, npages*pg), model)
		checkEqual(t, "region after the final WriteHome", readRegion(t, r, 0, npages*pg), model)
	})
}

func TestCleanOnlyRecyclingKeepsJournaledPages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		const npages = 64
		fx := b.open(t, npages*pg, mmio.Options{Budget: 16 * pg, Policy: mmio.CleanOnlyRecycling})
		r := fx.r
		model := bytes.Clone(fx.init)
		for p := range int64(40) {
			data := fill(byte(p+1), 64)
			commit(t, r, data, p*pg+p)
			copy(model[p*pg+p:], data)
		}
		if err := r.Reclaim(); err != nil {
			t.Fatal(err)
		}
		st := r.Stats()
		if got := r.PrivateBytes(); got != 40*pg {
			t.Errorf("PrivateBytes() = %d pages, want all 40 journaled pages kept", got/pg)
		}
		if st.Dropped != 0 || st.PagesWritten != 0 || st.Writes != 0 {
			t.Errorf("stats %+v: clean-only reclaim dropped or wrote journaled pages", st)
		}
		if st.Reclaims == 0 {
			t.Errorf("stats %+v: reclaim never ran though the budget was exceeded", st)
		}
		checkEqual(t, "file before WriteHome", readFile(t, fx.f, 0, npages*pg), fx.init)
		checkEqual(t, "region over budget", readRegion(t, r, 0, npages*pg), model)

		if n := writeHome(t, fx); n != 40 {
			t.Errorf("WriteHome wrote %d pages, want 40", n)
		}
		if err := r.Reclaim(); err != nil {
			t.Fatal(err)
		}
		checkBudget(t, r, "after WriteHome and Reclaim")
		if st := r.Stats(); st.Dropped == 0 || st.PagesWritten != 40 {
			t.Errorf("stats %+v: want pages dropped and exactly the 40 WriteHome pages written", st)
		}
		checkEqual(t, "region after reclaim", readRegion(t, r, 0, npages*pg), model)
		checkEqual(t, "file after WriteHome", readFile(t, fx.f, 0, npages*pg), model)
	})
}

func TestReclaimTakesCleanPagesFirst(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		const npages = 128
		fx := b.open(t, npages*pg, mmio.Options{
			Budget:                64 * pg,
			Policy:                mmio.FullRecycling,
			ForegroundReclaimOnly: true, // count this one reclaim alone
		})
		r := fx.r
		model := bytes.Clone(fx.init)
		set := func(p int64, c byte) {
			commit(t, r, fill(c, 32), p*pg)
			copy(model[p*pg:], fill(c, 32))
		}
		for p := range int64(40) {
			set(p, 0xC0)
		}
		writeHome(t, fx) // 40 clean pages
		for p := int64(40); p < 64; p++ {
			set(p, 0x10) // 24 journaled pages: exactly at the budget
		}
		before := r.Stats()
		set(100, 0x77) // one more goes over
		after := r.Stats()
		if after.Reclaims != before.Reclaims+1 {
			t.Fatalf("reclaims %d -> %d, want one reclaim", before.Reclaims, after.Reclaims)
		}
		if after.Dropped == before.Dropped {
			t.Error("reclaim dropped nothing")
		}
		if after.PagesWritten != before.PagesWritten {
			t.Errorf("reclaim wrote %d journaled pages home while clean ones were there to drop",
				after.PagesWritten-before.PagesWritten)
		}
		checkBudget(t, r, "after reclaim")
		checkEqual(t, "region", readRegion(t, r, 0, npages*pg), model)
		// The journaled pages are still not home.
		checkEqual(t, "file", readFile(t, fx.f, 40*pg, 24*pg), fx.init[40*pg:64*pg])
	})
}

func TestWritebackVectoredVsPageAtATime(t *testing.T) {
	// Pages 2..9 are one run, 20..21 another, 30 a third.
	pages := []int64{2, 3, 4, 5, 6, 7, 8, 9, 20, 21, 30}
	for _, tc := range []struct {
		name          string
		pageAtATime   bool
		contiguous    int64 // Writes for pages 2..9 alone
		scattered     int64 // Writes for all of pages
		reclaimWrites int64 // Writes when reclaim takes pages 0..7
	}{
		{"vectored", false, 1, 3, 1},
		{"page-at-a-time", true, 8, 11, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, b backend) {
				fx := b.open(t, 32*pg, mmio.Options{PageAtATimeWriteback: tc.pageAtATime})
				r := fx.r
				model := bytes.Clone(fx.init)

				// One commit of 8 contiguous pages, then WriteHome.
				tx := r.Begin()
				write(t, tx, fill(0xAA, 8*pg), 2*pg)
				copy(model[2*pg:], fill(0xAA, 8*pg))
				r.MarkDurable(seal(t, tx))
				before := r.Stats()
				writeHome(t, fx)
				after := r.Stats()
				if got := after.Writes - before.Writes; got != tc.contiguous {
					t.Errorf("8 contiguous pages took %d writes, want %d", got, tc.contiguous)
				}
				if got := after.PagesWritten - before.PagesWritten; got != 8 {
					t.Errorf("PagesWritten grew by %d, want 8", got)
				}

				// Single-page commits, in an order unlike the offsets.
				for i := len(pages) - 1; i >= 0; i-- {
					commit(t, r, fill(byte(i), 100), pages[i]*pg+50)
					copy(model[pages[i]*pg+50:], fill(byte(i), 100))
				}
				before = r.Stats()
				if n := writeHome(t, fx); n != len(pages) {
					t.Errorf("WriteHome wrote %d pages, want %d", n, len(pages))
				}
				after = r.Stats()
				if got := after.Writes - before.Writes; got != tc.scattered {
					t.Errorf("3 runs of %d pages took %d writes, want %d", len(pages), got, tc.scattered)
				}
				checkEqual(t, "file", readFile(t, fx.f, 0, 32*pg), model)
			})
		})
		t.Run(tc.name+"/reclaim", func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, b backend) {
				fx := b.open(t, 32*pg, mmio.Options{
					Budget:                8 * pg,
					PageAtATimeWriteback:  tc.pageAtATime,
					ForegroundReclaimOnly: true, // count this one reclaim alone
				})
				r := fx.r
				model := bytes.Clone(fx.init)
				tx := r.Begin()
				write(t, tx, fill(0xBB, 8*pg), 0)
				copy(model, fill(0xBB, 8*pg))
				r.MarkDurable(seal(t, tx)) // pages 0..7 journaled, at the budget
				before := r.Stats()
				commit(t, r, fill(0xCC, 10), 20*pg) // over: reclaim takes 0..7
				copy(model[20*pg:], fill(0xCC, 10))
				after := r.Stats()
				if got := after.PagesWritten - before.PagesWritten; got != 8 {
					t.Fatalf("reclaim wrote %d pages home, want 8", got)
				}
				if got := after.Writes - before.Writes; got != tc.reclaimWrites {
					t.Errorf("reclaim wrote 8 contiguous pages with %d writes, want %d", got, tc.reclaimWrites)
				}
				checkEqual(t, "file after reclaim", readFile(t, fx.f, 0, 8*pg), model[:8*pg])
				checkEqual(t, "region after reclaim", readRegion(t, r, 0, 32*pg), model)
			})
		})
	}
}

func TestReclaimNeverDropsDirtyOrPendingPages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		const npages = 32
		fx := b.open(t, npages*pg, mmio.Options{Budget: 4 * pg, Policy: mmio.FullRecycling})
		r := fx.r
		model := bytes.Clone(fx.init)
		tx := r.Begin()
		for p := range int64(12) {
			data := fill(byte(0x40+p), pg)
			write(t, tx, data, p*2*pg) // every other page: no single run
			copy(model[p*2*pg:], data)
		}
		if err := r.Reclaim(); err != nil {
			t.Fatal(err)
		}
		if got := r.PrivateBytes(); got != 12*pg {
			t.Errorf("PrivateBytes() = %d pages with 12 dirty, want 12", got/pg)
		}
		if st := r.Stats(); st.Dropped != 0 || st.PagesWritten != 0 {
			t.Errorf("stats %+v: dirty pages were dropped or written", st)
		}
		checkEqual(t, "dirty pages after reclaim", readRegion(t, r, 0, npages*pg), model)
		checkEqual(t, "file", readFile(t, fx.f, 0, npages*pg), fx.init)

		sealed := seal(t, tx)
		if err := r.Reclaim(); err != nil {
			t.Fatal(err)
		}
		if got := r.PrivateBytes(); got != 12*pg {
			t.Errorf("PrivateBytes() = %d pages with 12 pending, want 12", got/pg)
		}
		for _, sp := range sealed {
			checkEqual(t, "pending page after reclaim", sp.Data, model[sp.Off:sp.Off+pg])
		}
		checkEqual(t, "file with pending pages", readFile(t, fx.f, 0, npages*pg), fx.init)

		r.MarkDurable(sealed)
		if err := r.Reclaim(); err != nil {
			t.Fatal(err)
		}
		checkBudget(t, r, "after the pages became durable")
		checkEqual(t, "region after reclaim of journaled pages", readRegion(t, r, 0, npages*pg), model)
	})
}
