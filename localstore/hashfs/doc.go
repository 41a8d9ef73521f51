// Package hashfs translates (object, logical block) to a physical block of
// the device in one step, and allocates blocks in the same step.
//
// It follows HashFS ("Rethinking File Mapping for Persistent Memory",
// FAST'21): one statically sized hash table with open addressing and
// linear probing, where slot i is physical block i. Inserting a mapping
// takes the first free slot from the key's home on, and so allocates that
// block; deleting it frees the block. There is no separate free-space map
// to keep consistent with the mapping.
//
// # Answers to the design's critics
//
// Deletion leaves no tombstones. A tombstone would keep its block allocated
// forever (or make lookups probe ever further). Instead the entries that
// follow the hole and may move toward their home slide back into it
// (backward-shift deletion). Because a slot is a block, each slide is a
// block relocation: Delete returns the moves, in order, for the storage
// layer to carry out (copy the block, then commit the new mapping) while
// readers of that block wait.
//
// Runs, not blocks, are hashed. The blocks of one run of an object (Run
// consecutive logical blocks, a power of two) have consecutive home slots,
// so a large object's data is mostly physically contiguous and is read and
// written with large I/O.
//
//	logical:  object 7, blocks 0..15 (runs of 8)
//	home:     run 0 -> slot 8·h(7,0) ... +7      run 1 -> slot 8·h(7,1) ... +7
//	table:    ... [7:0][7:1][7:2][7:3][7:4][7:5][7:6][7:7] ... [7:8][7:9] ...
//	                 slot s  s+1  s+2 ...                        slot t  t+1
//
// # This package today
//
// Table is the pure logic: no I/O, no locks. Durable keeps a Table on the
// device: its slots are 16-byte records in an mmio region, every change is
// written through the caller's transaction and committed by the journal
// (crash-tested at every file operation), and loading checks that every
// key sits where a lookup finds it. Translation is the concurrent face of
// a Durable table with FlashMap's mapping operations: pinned reads, and
// lock/unlock of a key so a relocation can move its block while readers
// of that block wait and readers of others do not (striped read-write
// locks; see Translation for why not atomics). Two baselines implement the same Mapper interface
// for benchmarks and model tests: Cuckoo, the same paper's global cuckoo
// hash table (two hash functions, 4-slot buckets, a separate free-block
// bitmap), and ExtentTree, the conventional per-object extent index with
// a free-space bitmap.
package hashfs
