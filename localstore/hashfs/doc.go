// Package hashfs translates (object, logical block) to a physical block of
// the device in one step, and allocates blocks in the same step.
//
// It follows HashFS ("Rethinking File Mapping for Persistent Memory",
// FAST'21): one statically sized hash table with open addressing, where
// every slot is a physical block. Inserting a mapping takes a free slot
// near the key's home, and so allocates that block; deleting it frees the
// block. There is no separate free-space map to keep consistent with the
// mapping.
//
// # Groups, columns and runs
//
// The store reads and writes large objects in runs of R consecutive
// logical blocks (R = 256: 1 MiB of 4 KiB blocks), so a run should be
// physically contiguous. The n blocks are cut into G = n/R groups of R
// columns; block g·R + c is group g, column c. A run is hashed once, to a
// home group g0 and a rotation rot in [0, R); block b of the run goes to
// column (b + rot) mod R of group g0. In an empty group the run is the
// whole group, in at most two pieces:
//
//	R = 8, object 7, blocks 0..7 (run 0): g0 = 1, rot = 3
//
//	column:       0     1     2     3     4     5     6     7
//	group 0:    [   ] [   ] [   ] [   ] [   ] [   ] [   ] [   ]   blocks 0..7
//	group 1:    [7:5] [7:6] [7:7] [7:0] [7:1] [7:2] [7:3] [7:4]   blocks 8..15
//	group 2:    [   ] [   ] [   ] [   ] [   ] [   ] [   ] [   ]   blocks 16..23
//	                              ^ rot
//	extents:    7:0..4 -> blocks 11..15, 7:5..7 -> blocks 8..10
//
// The rotation spreads runs, and the short runs of small objects, evenly
// over the columns; without it column 0 would fill first and the table
// could not be filled to the last block.
//
// # Probing within a column, column-major in memory
//
// Each column is a linear-probing table of its own over the groups: if
// slot (c, g0) is taken, the block goes to the first free slot of
// (c, g0+1), (c, g0+2), ... (wrapping from the last group to the first).
// The slots are kept column-major in memory (slot (c, g) at index c·G + g),
// so a probe reads consecutive memory:
//
//	memory index:  0      1      2      ...  G-1      |  G      G+1    G+2    ...  |  ...  |  RG-1
//	slot (c, g):   (0,0)  (0,1)  (0,2)  ...  (0,G-1)  |  (1,0)  (1,1)  (1,2)  ...  |  ...  |  (R-1,G-1)
//	block:         0      R      2R     ...  n-R      |  1      R+1    2R+1   ...  |  ...  |  n-1
//	                                                            ^------>---->  a probe of column 1 from group 1
//
//	Object 9's run also has home group 1, with rot = 6: block 9:0 wants
//	(6, 1), which 7:3 holds, and takes (6, 2); 9:1 wants (7, 1) (7:4's) and
//	takes (7, 2). In memory, column 6 reads
//
//	  ... [(6,0) free] [(6,1) 7:3, limit 2] [(6,2) 9:0] [(6,3) free] ...
//
//	and the home (6, 1) has limit 2: it is home to 7:3 (displacement 0)
//	and 9:0 (displacement 1).
//
// # Deletion without tombstones
//
// Deleting a key clears its slot and nothing else. No other block moves
// (a slot is a block, so a move would be a data copy that the journal has
// to make crash-safe), no tombstone is left (a tombstone would keep its
// block allocated, or make lookups read ever further), and the freed
// block is free at once: the next insertion whose probe passes it takes
// it. Lookups are bounded instead by a probe limit kept at every home
// position, 1 + the largest displacement of the keys whose home it is, in
// spare bits of that slot's in-memory entry: a lookup reads its home
// entry (one random cache line), then at most limit consecutive entries:
// the rest of the home's 128-byte block, then the range from its far end
// back, since the farthest key of a home is at limit-1 and most homes
// hold one or two keys.
// The limit is derived data, rebuilt on load and never written. A key
// whose column has no free slot within the largest displacement a limit
// holds (in practice, a full column) goes to any free block and into an
// overflow map that lookups read after the in-column probe; so every free
// block stays allocatable and the table fills to 100 %. Removing
// tombstones' cost this way is in the spirit of "Linear Probing
// Revisited: Tombstones Mark the Demise of Primary Clustering" (Bender,
// Kuszmaul, Kuszmaul, FOCS'21): holes that insertions reuse break up the
// clusters that make linear probing slow.
//
// The previous layout (runs on consecutive home slots in one linear-probing
// sequence, backward-shift deletion) relocated 4.7, 12.3, 55.4 and 128.5
// other blocks per random deletion at loads 0.5, 0.7, 0.9 and 0.95 (runs
// of 8), each a journaled block copy, so deleting a large object cost
// gigabytes of journal writes; and whole runs colliding made its lookups
// read 37 slots on average at a load of 0.9. See BENCHMARKS.md.
//
// # This package today
//
// Table is the pure logic: no I/O, no locks. Durable keeps a Table on the
// device: one 16-byte record per physical block in an mmio region, every
// change (one record per insertion or deletion) written through the
// caller's transaction and committed by the journal (crash-tested at every
// file operation), and loading rebuilds the limits and the overflow map
// and checks that every key is found where it is stored. Translation is
// the concurrent face of a Durable table with FlashMap's mapping
// operations: pinned reads, and lock/unlock of a key so a relocation
// (Lock, copy, Delete and Insert, copy, Unlock) can move its block while
// readers of that key wait and readers of others do not (striped
// read-write locks over the column-major memory; see Translation for why
// not atomics). Extents turns a range of an object's blocks into physical
// extents for large I/O. Two baselines implement the same Mapper interface
// for benchmarks and model tests: Cuckoo, the same paper's global cuckoo
// hash table (two hash functions, 4-slot buckets, a separate free-block
// bitmap), and ExtentTree, the conventional per-object extent index with
// a free-space bitmap.
package hashfs
