// Package volume lays mapstore's node storage out on one device: a
// preallocated file, a raw block device or a file on a DAX file system.
//
// # Layout
//
//	0          4 KiB                                                   dataOff
//	| super    | translation table | allocator metadata | root        | data blocks ...
//	|          | 16 B per block    | directory + slots  | 4 KiB       | 4 KiB each
//	           '------------------ metadata region (mmio) ------------'
//
// The superblock holds the geometry, written once when the device is
// formatted (see superblock.go). The metadata region is one mmio region
// behind one journal, so a batch that changes the translation, the
// allocator's tables and the root area commits all or none. Data block i
// is slot i of the translation (HashFS): mapping a logical block of an
// object allocates a physical block and unmapping it frees the block.
//
// # Where things live
//
// Large object data: logical blocks of an object id (FirstObject and up)
// mapped by the translation; runs of 256 blocks are hashed together, so
// an object is read and written in extents of up to 1 MiB.
//
// Small objects: the allocator's log of 128 KiB segments, each segment
// being 32 logical blocks of SegmentsObject in the same translation, so
// small and large data share one pool of blocks.
//
// # Durability
//
// Data blocks and segment records are written straight to the device,
// into blocks that no committed state refers to; Commit syncs the device,
// then commits the metadata that refers to them through the journal.
// Blocks freed in a batch stay mapped until that batch commits, so the
// batch cannot write over data its predecessor still refers to. A device
// write or sync that fails makes the volume refuse further changes: what
// is in memory may be ahead of the device, and only reopening (journal
// recovery) tells what is durable.
package volume
