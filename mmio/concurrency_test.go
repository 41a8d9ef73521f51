package mmio_test

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"testing"

	"mapstore/mmio"
)

// TestConcurrentCommitsAndCheckpoints runs the journal's commit cycle from
// several goroutines on disjoint pages, with a budget small enough that
// every few commits reclaim writes journaled pages home, and a checkpointer
// writing home all the while. At the end every page holds its last commit,
// in the region and, after a final WriteHome, in the file.
func TestConcurrentCommitsAndCheckpoints(t *testing.T) {
	const (
		writers        = 8
		pagesPerWriter = 6
		npages         = writers * pagesPerWriter
		iterations     = 300
	)
	for _, policy := range []mmio.Policy{mmio.FullRecycling, mmio.CleanOnlyRecycling} {
		t.Run(policy.String(), func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, b backend) {
				fx := b.open(t, npages*pg, mmio.Options{Budget: 8 * pg, Policy: policy, Shards: 4})
				r := fx.r

				stop := make(chan struct{})
				var checkpoints sync.WaitGroup
				checkpoints.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						if _, err := r.WriteHome(); err != nil {
							t.Errorf("WriteHome: %v", err)
							return
						}
						if err := fx.f.Datasync(); err != nil {
							t.Errorf("Datasync: %v", err)
							return
						}
					}
				})

				// models[g] is writer g's view of its own pages: each
				// writer owns pages [g*pagesPerWriter, (g+1)*pagesPerWriter).
				models := make([][]byte, writers)
				var wg sync.WaitGroup
				for g := range writers {
					first := int64(g * pagesPerWriter)
					models[g] = bytes.Clone(fx.init[first*pg : (first+pagesPerWriter)*pg])
					wg.Go(func() {
						rng := rand.New(rand.NewPCG(uint64(g), 7))
						model := models[g]
						for i := range iterations {
							// One or two of the writer's pages per commit,
							// sometimes a write across a page boundary.
							tx := r.Begin()
							for range 1 + rng.IntN(2) {
								rel := rng.Int64N(pagesPerWriter*pg - 24)
								var rec [24]byte
								binary.LittleEndian.PutUint64(rec[0:], uint64(g))
								binary.LittleEndian.PutUint64(rec[8:], uint64(i))
								binary.LittleEndian.PutUint64(rec[16:], uint64(rel))
								if _, err := tx.WriteAt(rec[:], first*pg+rel); err != nil {
									t.Errorf("writer %d: WriteAt: %v", g, err)
									return
								}
								copy(model[rel:], rec[:])
							}
							pages, err := tx.Seal()
							if err != nil {
								t.Errorf("writer %d: Seal: %v", g, err)
								return
							}
							// The journal would log pages[i].Data here.
							for _, sp := range pages {
								rel := sp.Off - first*pg
								if rel < 0 || rel >= pagesPerWriter*pg {
									t.Errorf("writer %d sealed page %d it does not own", g, sp.Page)
									return
								}
								if !bytes.Equal(sp.Data, model[rel:rel+pg]) {
									t.Errorf("writer %d: sealed page %d differs from what it wrote", g, sp.Page)
									return
								}
							}
							r.MarkDurable(pages)
						}
					})
				}
				wg.Wait()
				close(stop)
				checkpoints.Wait()
				if t.Failed() {
					return
				}

				want := bytes.Join(models, nil)
				checkEqual(t, "region after the workload", readRegion(t, r, 0, npages*pg), want)
				writeHome(t, fx)
				checkEqual(t, "file after the final WriteHome", readFile(t, fx.f, 0, npages*pg), want)
				if err := r.Reclaim(); err != nil {
					t.Fatal(err)
				}
				checkBudget(t, r, "after the final WriteHome and Reclaim")
				checkEqual(t, "region after the final Reclaim", readRegion(t, r, 0, npages*pg), want)
				if st := r.Stats(); st.Dropped == 0 {
					t.Errorf("stats %+v: reclaim never dropped a page", st)
				}
			})
		})
	}
}
