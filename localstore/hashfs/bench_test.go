package hashfs

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// Benchmark setup: a device of 1<<20 blocks, HashFS runs of 8 blocks.
const (
	benchBlocks = 1 << 20
	benchRun    = 8
	benchSample = 1 << 18 // keys pre-generated per benchmark, a power of two
)

// benchImpls are the implementations BenchmarkMapper sweeps.
var benchImpls = []struct {
	name string
	new  func() (Mapper, error)
}{
	{"hashfs", func() (Mapper, error) { return New(benchBlocks, benchRun) }},
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
		if _, err := m.Delete(keys[j]); err != nil {
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
// device of 1<<20 blocks filled (untimed) with objects of 1 to 64 blocks:
//
//   - lookup: a mapped key, picked at random.
//   - lookupmiss: a key of an object that does not exist.
//   - insertdelete: insert a fresh key, then delete it, so the load stays
//     constant. A HashFS deletion of the key just inserted never moves a
//     block (the key ends its cluster).
//   - replace: delete a random mapped key, then insert a fresh one (a
//     different object), so the load stays constant but the mapping
//     churns; for HashFS moves/op counts the block relocations the
//     deletions ask for. It runs last, as it changes the mapped keys.
//
// lookup also reports contig-%, the share of blocks placed physically
// right after their predecessor in the object, and for the cuckoo table
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
	buckets := 0.0
	if c, ok := m.(*Cuckoo); ok {
		var reads int
		for _, k := range hits[:1<<14] {
			reads += c.bucketsRead(k)
		}
		buckets = float64(reads) / (1 << 14)
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
		if buckets != 0 {
			b.ReportMetric(buckets, "buckets/op")
		}
	})
	b.Run("op=lookupmiss", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, ok := m.Lookup(fresh[i&mask]); ok {
				b.Fatalf("lookup of unmapped %v succeeded", fresh[i&mask])
			}
		}
	})
	b.Run("op=insertdelete", func(b *testing.B) {
		var moves int
		for i := 0; i < b.N; i++ {
			k := fresh[i&mask]
			if _, err := m.Insert(k); err != nil {
				b.Fatalf("insert %v at %d blocks: %v", k, m.Len(), err)
			}
			mv, err := m.Delete(k)
			if err != nil {
				b.Fatalf("delete %v: %v", k, err)
			}
			moves += len(mv)
		}
		if _, ok := m.(*Table); ok {
			b.ReportMetric(float64(moves)/float64(b.N), "moves/op")
		}
	})
	// replace runs last: it changes which keys are mapped.
	var replaced uint64 // fresh object ids, across the runs of op=replace
	b.Run("op=replace", func(b *testing.B) {
		var moves int
		for i := 0; i < b.N; i++ {
			j := rng.IntN(len(mapped))
			mv, err := m.Delete(mapped[j])
			if err != nil {
				b.Fatalf("delete %v: %v", mapped[j], err)
			}
			moves += len(mv)
			replaced++
			k := Key{Obj: 1<<62 | replaced, Block: replaced % 64}
			if _, err := m.Insert(k); err != nil {
				b.Fatalf("insert %v at %d blocks: %v", k, m.Len(), err)
			}
			mapped[j] = k
		}
		if _, ok := m.(*Table); ok {
			b.ReportMetric(float64(moves)/float64(b.N), "moves/op")
		}
	})
}

// BenchmarkProbeLength is the latency curve of HashFS lookups up to a load
// of 0.95, for runs of 8 blocks (as in BenchmarkMapper) and of 1 (plain
// linear probing, for comparison): for each load it reports the probe
// length (slots read) of lookups of mapped keys (probes-mean, probes-p99,
// probes-max) and of unmapped keys (miss-mean, miss-p99: slots read up to
// the first free one), and times lookups of mapped keys.
func BenchmarkProbeLength(b *testing.B) {
	for _, run := range []int{benchRun, 1} {
		b.Run(fmt.Sprintf("run=%d", run), func(b *testing.B) {
			for _, load := range []float64{0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95} {
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
	hit := make([]int64, len(keys))
	for i, k := range keys {
		hit[i] = t.ProbeLength(k)
	}
	fresh := benchFresh(rng)
	miss := make([]int64, len(fresh))
	for i, k := range fresh {
		miss[i] = missProbes(t, k)
	}
	hits := benchPick(keys, rng)
	hm, hp, hmax := probeStats(hit)
	mm, mp, _ := probeStats(miss)
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
	})
}

// missProbes returns how many slots a lookup of the unmapped key k reads:
// from its home up to and including the first free slot.
func missProbes(t *Table, k Key) int64 {
	i := t.Home(k)
	for n := int64(1); n <= t.Slots(); n++ {
		if _, used := t.At(i); !used {
			return n
		}
		if i++; i == t.Slots() {
			i = 0
		}
	}
	return t.Slots()
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
