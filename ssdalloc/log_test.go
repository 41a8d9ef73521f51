package ssdalloc

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLogModel places and kills records at random, cleaning when the log
// fills, and checks the live-byte accounting against a model of the live
// records: no two live records overlap, every segment's live count is the
// sum of its live records, and free segments hold none.
func TestLogModel(t *testing.T) {
	const nseg = 16
	l := NewLog(nseg)
	rng := rand.New(rand.NewPCG(3, 4))
	live := map[Location]bool{}
	var locs []Location
	kill := func(i int) {
		loc := locs[i]
		locs[i] = locs[len(locs)-1]
		locs = locs[:len(locs)-1]
		delete(live, loc)
		l.Kill(loc)
	}
	cleanings := 0
	opened := map[uint32]bool{} // segments ever opened: always 0..len-1
	for step := 0; step < 100000; step++ {
		if len(locs) > 0 && rng.IntN(100) < 48 {
			kill(rng.IntN(len(locs)))
			continue
		}
		n := rng.IntN(3000)
		want, opens := l.opens(n, false)
		loc, isNew, err := l.Place(n)
		if err == nil && (isNew != opens || opens && loc.Seg != want) {
			t.Fatalf("step %d: opens said %d/%v, Place opened %v segment %d", step, want, opens, isNew, loc.Seg)
		}
		if isNew {
			opened[loc.Seg] = true
			if !opened[uint32(len(opened)-1)] {
				t.Fatalf("step %d: opened segment %d while one below %d was never used", step, loc.Seg, len(opened))
			}
		}
		if errors.Is(err, ErrLogFull) {
			// Clean the best victim: move its live records to the head.
			v := l.Victims(1)
			if len(v) == 0 {
				t.Fatalf("log full with no victim (%d live records)", len(locs))
			}
			var moving []Location
			for _, lc := range locs {
				if lc.Seg == v[0] {
					moving = append(moving, lc)
				}
			}
			for _, old := range moving {
				nl, _, err := l.PlaceForCleaning(int(old.Len))
				if err != nil {
					t.Fatalf("no room to move a live record while cleaning: %v", err)
				}
				for i := range locs {
					if locs[i] == old {
						kill(i)
						break
					}
				}
				live[nl] = true
				locs = append(locs, nl)
			}
			if l.Live(v[0]) == 0 && l.Used(v[0]) != 0 {
				l.Cleaned(v[0])
			}
			cleanings++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		live[loc] = true
		locs = append(locs, loc)
	}
	// Accounting.
	sum := map[uint32]int{}
	for _, lc := range locs {
		sum[lc.Seg] += recordSpan(int(lc.Len))
	}
	for s := uint32(0); s < nseg; s++ {
		if l.Live(s) != sum[s] {
			t.Fatalf("segment %d: %d live bytes counted, %d in the model", s, l.Live(s), sum[s])
		}
	}
	// No overlap between live records of a segment.
	bySeg := map[uint32][]Location{}
	for _, lc := range locs {
		bySeg[lc.Seg] = append(bySeg[lc.Seg], lc)
	}
	for s, ls := range bySeg {
		for i := range ls {
			for j := i + 1; j < len(ls); j++ {
				a, b := ls[i], ls[j]
				if a.Off < b.Off+uint32(recordSpan(int(b.Len))) && b.Off < a.Off+uint32(recordSpan(int(a.Len))) {
					t.Fatalf("segment %d: records at %d and %d overlap", s, a.Off, b.Off)
				}
			}
		}
	}
	if cleanings == 0 {
		t.Fatal("the workload never filled the log")
	}
	t.Logf("%d cleanings, %d live records, %d free segments", cleanings, len(locs), l.FreeSegments())
}

func TestVictimsMostDeadFirst(t *testing.T) {
	l := NewLog(4)
	bySeg := map[uint32][]Location{}
	var order []uint32
	for len(order) < 3 {
		loc, _, err := l.Place(1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(bySeg[loc.Seg]) == 0 {
			order = append(order, loc.Seg)
		}
		bySeg[loc.Seg] = append(bySeg[loc.Seg], loc)
	}
	a, b := order[0], order[1] // closed; order[2] is the head
	for _, loc := range bySeg[a][:3] {
		l.Kill(loc)
	}
	for _, loc := range bySeg[b][:10] {
		l.Kill(loc)
	}
	if v := l.Victims(5); len(v) != 2 || v[0] != b || v[1] != a {
		t.Fatalf("victims %v, want [%d %d]", v, b, a)
	}
	if v := l.Victims(1); len(v) != 1 || v[0] != b {
		t.Fatalf("victim %v, want [%d]", v, b)
	}
	// A closed segment whose records all die becomes free on its own.
	before := l.FreeSegments()
	for _, loc := range bySeg[a][3:] {
		l.Kill(loc)
	}
	if l.FreeSegments() != before+1 {
		t.Fatalf("free segments %d -> %d, want one more", before, l.FreeSegments())
	}
	// The last free segment is kept for cleaning.
	for {
		if _, _, err := l.Place(1000); err != nil {
			if !errors.Is(err, ErrLogFull) {
				t.Fatal(err)
			}
			break
		}
	}
	if l.FreeSegments() != reserveSegments {
		t.Fatalf("%d free segments when the log is full, want %d kept for cleaning", l.FreeSegments(), reserveSegments)
	}
	if _, _, err := l.PlaceForCleaning(1000); err != nil {
		t.Fatalf("cleaning could not use the reserve: %v", err)
	}
}

// TestLogOpensLowestFree: free segments are opened lowest number first,
// so segments a Space has given blocks to are reused before the space
// grows; and a head segment whose records all died while it was open is
// free as soon as it closes.
func TestLogOpensLowestFree(t *testing.T) {
	l := NewLog(8)
	bySeg := map[uint32][]Location{}
	var order []uint32
	place := func() Location {
		t.Helper()
		want, opens := l.opens(MaxObject, false)
		loc, opened, err := l.Place(MaxObject)
		if err != nil {
			t.Fatal(err)
		}
		if opened != opens || opened && loc.Seg != want {
			t.Fatalf("opens predicted %d/%v, Place opened %v segment %d", want, opens, opened, loc.Seg)
		}
		if opened {
			order = append(order, loc.Seg)
		}
		bySeg[loc.Seg] = append(bySeg[loc.Seg], loc)
		return loc
	}
	for len(order) < 4 {
		place()
	}
	for _, s := range []uint32{1, 2} {
		for _, loc := range bySeg[s] {
			l.Kill(loc)
		}
		bySeg[s] = nil
	}
	for len(order) < 7 {
		place()
	}
	if want := []uint32{0, 1, 2, 3, 1, 2, 4}; !slices.Equal(order, want) {
		t.Fatalf("segments opened in order %v, want %v", order, want)
	}
	head := order[len(order)-1]
	for _, loc := range bySeg[head] {
		l.Kill(loc)
	}
	free := l.FreeSegments()
	for n := len(order); len(order) == n; {
		place()
	}
	if l.FreeSegments() != free {
		t.Fatalf("%d free segments after the emptied head %d closed, want %d", l.FreeSegments(), head, free)
	}
}
