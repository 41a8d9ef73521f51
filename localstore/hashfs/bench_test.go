package hashfs

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Benchmark setup: a device of 1<<20 blocks, HashFS runs of 256 blocks
// (1 MiB of 4 KiB blocks, the store's run length).
const (
	benchBlocks = 1 << 20
	benchRun    = 256
	benchSample = 1 << 18 // keys pre-generated per benchmark, a power of two
)

// benchImpls are the implementations BenchmarkMapper sweeps.
var benchImpls = []struct {
	name string
	new  func() (Mapper, error)
}{
	{"hashfs", func() (Mapper, error) { return New(benchBlocks, benchRun) }},
	{"hashfs-r8", func() (Mapper, error) { return New(benchBlocks, 8) }},
	{"cuckoo", func() (Mapper, error) { return NewCuckoo(benchBlocks) }},
	{"extent", func() (Mapper, error) { return NewExtentTree(benchBlocks) }},
}

var benchLoads = []float64{0.5, 0.7, 0.9, 0.95}

// benchSink keeps lookups from being optimized away.
var benchSink int64

// benchFill fills m to load (mapped blocks / blocks) with whole objects of
// 1 to 64 blocks, written in order from block 0, the last object cut
// short. Object ids are random with the top bit clear; benchFresh uses the
// top bit for keys that are never mapped. It returns the mapped keys.
func benchFill(tb testing.TB, m Mapper, load float64, rng *rand.Rand) []Key {
	target := int64(load * float64(m.Slots()))
	keys := make([]Key, 0, target)
	for int64(len(keys)) < target {
		obj := rng.Uint64() >> 1
		n := 1 + rng.IntN(64)
		for b := 0; b < n && int64(len(keys)) < target; b++ {
			k := Key{Obj: obj, Block: uint64(b)}
			if _, err := m.Insert(k); err != nil {
				tb.Fatalf("fill to %.2f at %d blocks: %v", load, m.Len(), err)
			}
			keys = append(keys, k)
		}
	}
	return keys
}

// benchAged makes BenchmarkMapper age the device before measuring (set
// with -aged): a device filled once, in order, from empty flatters the
// extent index (every object is one extent) in a way no long-lived store
// sees.
var benchAged = flag.Bool("aged", false, "age the device before BenchmarkMapper measures")

// benchAge churns a filled mapper the way a long-lived store does: half a
// device's worth of times, it frees a random block of a random object and
// appends a block to another object, so freed space is reused wherever it
// lies. keys is updated in place to the mapped set.
func benchAge(tb testing.TB, m Mapper, keys []Key, rng *rand.Rand) {
	next := map[uint64]uint64{} // object -> next block to append
	for _, k := range keys {
		next[k.Obj] = max(next[k.Obj], k.Block+1)
	}
	for i := int64(0); i < m.Slots()/2; i++ {
		j := rng.IntN(len(keys))
		if err := m.Delete(keys[j]); err != nil {
			tb.Fatalf("age: delete %v: %v", keys[j], err)
		}
		grow := keys[rng.IntN(len(keys))].Obj
		k := Key{Obj: grow, Block: next[grow]}
		if _, err := m.Insert(k); err != nil {
			tb.Fatalf("age: insert %v: %v", k, err)
		}
		next[grow]++
		keys[j] = k
	}
}

// benchPick returns benchSample keys drawn at random from keys.
func benchPick(keys []Key, rng *rand.Rand) []Key {
	out := make([]Key, benchSample)
	for i := range out {
		out[i] = keys[rng.IntN(len(keys))]
	}
	return out
}

// benchFresh returns benchSample keys that are never mapped by benchFill:
// blocks 0 to 63 of objects with the top bit set.
func benchFresh(rng *rand.Rand) []Key {
	out := make([]Key, benchSample)
	for i := range out {
		out[i] = Key{Obj: 1<<63 | rng.Uint64(), Block: uint64(rng.IntN(64))}
	}
	return out
}

// contiguity returns the fraction of keys k with k.Block > 0 whose physical
// block directly follows that of block k.Block-1 of the same object: how
// much of the data a sequential read of the object reads in one piece.
func contiguity(m Mapper, keys []Key) float64 {
	var n, next int
	for _, k := range keys {
		if k.Block == 0 {
			continue
		}
		p, _ := m.Lookup(k)
		q, ok := m.Lookup(Key{Obj: k.Obj, Block: k.Block - 1})
		n++
		if ok && p == q+1 {
			next++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(next) / float64(n)
}

// BenchmarkMapper sweeps implementation, load factor and operation on a
// device of 1<<20 blocks filled (untimed) with objects of 1 to 64 blocks,
// and aged first with -aged. HashFS uses runs of 256 blocks (1 MiB of
// 4 KiB blocks, what the store uses); hashfs-r8 is the same table with
// runs of 8, for comparison.
//
//   - lookup: a mapped key, picked at random.
//   - lookupmiss: a key of an object that does not exist.
//   - insert: a fresh key (a block of a new object). To keep the load
//     constant, every 4096 inserts the timer stops and they are deleted.
//   - delete: a mapped key, picked at random (each at most once per
//     batch). Every 4096 deletes the timer stops and they are inserted
//     again.
//
// lookup also reports contig-%, the share of blocks placed physically
// right after their predecessor in the object; for HashFS probes/op and
// lines/op, the slots a lookup compares and the cache lines it reads, and
// overflow, the keys out of their column's reach; for the cuckoo table
// buckets/op, the buckets a lookup reads.
func BenchmarkMapper(b *testing.B) {
	for _, impl := range benchImpls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			for _, load := range benchLoads {
				b.Run(fmt.Sprintf("load=%.2f", load), func(b *testing.B) {
					benchMapper(b, impl.new, load)
				})
			}
		})
	}
}

// benchBatch is how many inserts or deletes run between two untimed
// restorations of the load.
const benchBatch = 4096

func benchMapper(b *testing.B, newMapper func() (Mapper, error), load float64) {
	m, err := newMapper()
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, uint64(load*100)))
	mapped := benchFill(b, m, load, rng)
	if *benchAged {
		benchAge(b, m, mapped, rng)
	}
	hits := benchPick(mapped, rng)
	fresh := benchFresh(rng)
	const mask = benchSample - 1

	// Placement metrics, computed once, untimed.
	contig := 100 * contiguity(m, hits[:1<<14])
	var metrics [][2]any
	switch m := m.(type) {
	case *Cuckoo:
		var reads int
		for _, k := range hits[:1<<14] {
			reads += m.bucketsRead(k)
		}
		metrics = append(metrics, [2]any{float64(reads) / (1 << 14), "buckets/op"})
	case *Table:
		var reads, lines int64
		for _, k := range hits[:1<<14] {
			reads += m.ProbeLength(k)
			lines += probeLines(m, k)
		}
		metrics = append(metrics, [2]any{float64(reads) / (1 << 14), "probes/op"},
			[2]any{float64(lines) / (1 << 14), "lines/op"},
			[2]any{float64(m.Overflow()), "overflow"})
	}

	b.Run("op=lookup", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			p, ok := m.Lookup(hits[i&mask])
			if !ok {
				b.Fatalf("lookup of mapped %v failed", hits[i&mask])
			}
			benchSink += p
		}
		b.ReportMetric(contig, "contig-%")
		for _, x := range metrics {
			b.ReportMetric(x[0].(float64), x[1].(string))
		}
	})
	b.Run("op=lookupmiss", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, ok := m.Lookup(fresh[i&mask]); ok {
				b.Fatalf("lookup of unmapped %v succeeded", fresh[i&mask])
			}
		}
	})
	b.Run("op=insert", func(b *testing.B) {
		batch := make([]Key, 0, benchBatch)
		undo := func() {
			b.StopTimer()
			for _, k := range batch {
				if err := m.Delete(k); err != nil {
					b.Fatalf("delete %v: %v", k, err)
				}
			}
			batch = batch[:0]
			b.StartTimer()
		}
		for i := 0; i < b.N; i++ {
			k := fresh[i&mask]
			if _, err := m.Insert(k); err != nil {
				b.Fatalf("insert %v at %d blocks: %v", k, m.Len(), err)
			}
			if batch = append(batch, k); len(batch) == benchBatch {
				undo()
			}
		}
		undo()
	})
	b.Run("op=delete", func(b *testing.B) {
		order := slices.Clone(mapped)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		next := 0
		batch := make([]Key, 0, benchBatch)
		b.ResetTimer()
		undo := func() {
			b.StopTimer()
			for _, k := range batch {
				if _, err := m.Insert(k); err != nil {
					b.Fatalf("insert %v at %d blocks: %v", k, m.Len(), err)
				}
			}
			batch = batch[:0]
			b.StartTimer()
		}
		for i := 0; i < b.N; i++ {
			k := order[next]
			if next++; next == len(order) {
				next = 0
			}
			if err := m.Delete(k); err != nil {
				b.Fatalf("delete %v: %v", k, err)
			}
			if batch = append(batch, k); len(batch) == benchBatch || next == 0 {
				undo()
			}
		}
		undo()
	})
}

// BenchmarkProbeLength is the latency curve of HashFS lookups up to a full
// table (load 1, where columns fill and keys overflow), for runs of 256
// blocks (as in BenchmarkMapper), 8, and 1 (plain linear probing): for
// each load it reports the probe length (slots compared) of lookups of
// mapped keys (probes-mean, probes-p99, probes-max), the cache lines they
// read (lines-mean, lines-p99) and the slots lookups of unmapped keys read
// (miss-mean, miss-p99: the home's probe limit), the overflow keys and
// contig-%, and times lookups of mapped keys. -aged ages the table first.
func BenchmarkProbeLength(b *testing.B) {
	for _, run := range []int{256, 8, 1} {
		b.Run(fmt.Sprintf("run=%d", run), func(b *testing.B) {
			for _, load := range []float64{0.5, 0.7, 0.8, 0.9, 0.95, 1} {
				b.Run(fmt.Sprintf("load=%.2f", load), func(b *testing.B) {
					benchProbeLength(b, run, load)
				})
			}
		})
	}
}

func benchProbeLength(b *testing.B, run int, load float64) {
	t, err := New(benchBlocks, run)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, uint64(load*100)))
	keys := benchFill(b, t, load, rng)
	if *benchAged {
		benchAge(b, t, keys, rng)
	}
	hit := make([]int64, len(keys))
	lines := make([]int64, len(keys))
	for i, k := range keys {
		hit[i] = t.ProbeLength(k)
		lines[i] = probeLines(t, k)
	}
	fresh := benchFresh(rng)
	miss := make([]int64, len(fresh))
	for i, k := range fresh {
		miss[i] = t.Limit(k)
	}
	hits := benchPick(keys, rng)
	contig := 100 * contiguity(t, hits[:1<<14])
	hm, hp, hmax := probeStats(hit)
	mm, mp, _ := probeStats(miss)
	lm, lp, _ := probeStats(lines)
	const mask = benchSample - 1
	b.Run("op=lookup", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			p, _ := t.Lookup(hits[i&mask])
			benchSink += p
		}
		b.ReportMetric(hm, "probes-mean")
		b.ReportMetric(hp, "probes-p99")
		b.ReportMetric(hmax, "probes-max")
		b.ReportMetric(mm, "miss-mean")
		b.ReportMetric(mp, "miss-p99")
		b.ReportMetric(lm, "lines-mean")
		b.ReportMetric(lp, "lines-p99")
		b.ReportMetric(float64(t.Overflow()), "overflow")
		b.ReportMetric(contig, "contig-%")
	})
}

// probeLines returns how many 64-byte lines a lookup of k reads (the home
// entry, then the slots in the order probe reads them; for an overflow
// key, the whole range), or 0 if k is not mapped. The entries start on a
// line (see Table.probe).
func probeLines(t *Table, k Key) int64 {
	c, g0 := t.locate(k)
	m := c*t.groups + g0
	lim := t.ents[m].limit()
	read := map[int64]bool{m >> 2: true}
	at := func(d int64) int64 { return c*t.groups + (g0+d)%t.groups }
	g, ok := t.probe(k, c, g0, lim)
	if !ok {
		if _, over := t.overflow[k]; !over {
			return 0
		}
		for d := int64(0); d < lim; d++ {
			read[at(d)>>2] = true
		}
		return int64(len(read))
	}
	d := (g - g0 + t.groups) % t.groups
	k0 := t.near(m, g0, lim)
	for i := int64(0); i < k0 && i <= d; i++ {
		read[at(i)>>2] = true
	}
	for i := lim - 1; d >= k0 && i >= d; i-- {
		read[at(i)>>2] = true
	}
	return int64(len(read))
}

// probeStats returns the mean, 99th percentile and maximum of ls, which it
// sorts.
func probeStats(ls []int64) (mean, p99, highest float64) {
	if len(ls) == 0 {
		return 0, 0, 0
	}
	slices.Sort(ls)
	var sum int64
	for _, l := range ls {
		sum += l
	}
	return float64(sum) / float64(len(ls)), float64(ls[len(ls)*99/100]), float64(ls[len(ls)-1])
}

// BenchmarkLookupInterleaved compares lookups of the three mappers under
// the same background load: for each load factor it builds all three
// (aged with -aged), then times 1<<20 lookups of each in turn, nine
// rounds, and reports each one's median ns per lookup (hashfs-ns,
// cuckoo-ns, extent-ns). On a machine shared with other work,
// BenchmarkMapper's impl-by-impl runs are minutes apart and see different
// loads; this one is not. Run it with -benchtime 1x.
func BenchmarkLookupInterleaved(b *testing.B) {
	for _, load := range benchLoads {
		b.Run(fmt.Sprintf("load=%.2f", load), func(b *testing.B) {
			type sut struct {
				name string
				m    Mapper
				hits []Key
				ns   []float64
			}
			var suts []*sut
			for _, impl := range benchImpls {
				if impl.name == "hashfs-r8" {
					continue
				}
				m, err := impl.new()
				if err != nil {
					b.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(1, uint64(load*100)))
				keys := benchFill(b, m, load, rng)
				if *benchAged {
					benchAge(b, m, keys, rng)
				}
				suts = append(suts, &sut{name: impl.name, m: m, hits: benchPick(keys, rng)})
			}
			b.ResetTimer()
			for range b.N {
				for range 9 {
					for _, s := range suts {
						start := time.Now()
						for i := range 1 << 20 {
							p, _ := s.m.Lookup(s.hits[i&(benchSample-1)])
							benchSink += p
						}
						s.ns = append(s.ns, float64(time.Since(start).Nanoseconds())/(1<<20))
					}
				}
			}
			for _, s := range suts {
				slices.Sort(s.ns)
				b.ReportMetric(s.ns[len(s.ns)/2], s.name+"-ns")
			}
		})
	}
}
