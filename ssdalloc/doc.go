// Package ssdalloc allocates the small objects of a node (metadata records,
// small bodies) the way SSDAlloc (NSDI'11) does, so that writing a 100-byte
// object costs about 100 bytes of device writes, not a page.
//
// # Pools and object tables
//
// Objects are served by size class, in 0.5 KiB steps up to MaxObject. Each
// class has a pool of object tables. A table owns a contiguous range of
// object ids, an allocation bitmap over it and a free count; its first
// table has 128 slots, each new one doubles the last up to 10,000, and
// after that every new table has 10,000 more. Exactly one table of a pool
// is active; when it is full, the table with the most free slots becomes
// active, or a new one is made. An ordered map from the first id of each
// table (tables are made with ever higher ids) finds the table of any id
// in O(log tables).
//
//	class 1 (513..1024 B)   table 3: ids [385, 513)  active    free 12
//	                        table 9: ids [1921, 2177)          free 0
//	id 2000 -> binary search over table bases -> table 9, slot 79
//
// # Segments
//
// Stored objects live in a log of SegmentSize (128 KiB) segments, each
// made of 32 blocks of 4 KiB that a Space places on the device (in order,
// or anywhere). Each record carries its back pointer, the id of its
// object, so cleaning can tell a live record (the object's table slot
// still points here) from a dead one, and move it. All integers are
// little-endian.
//
//	segment: +--------+------+------+--------+------------+-------+
//	         | "MSSG" | ver=2| 0    | seq    | 0 (12 B)   | crc   |  32 B, crc = CRC32C(bytes 0..28)
//	         | u32    | u16  | u16  | u64    |            | u32   |
//	         +--------+------+------+--------+------------+-------+
//	         | record | record | ... | never written, or stale ...     |
//
//	record:  0                       4        8        12
//	         +------------------------+--------+--------+---------------------+
//	         | len:17 | 0:7 | 0xa5:8  | id     | crc    | data, zero padded   |
//	         | u32 (bits 0-16, 17-23, | u32    | u32    | to a multiple of 4  |
//	         |      24-31)            |        |        |                     |
//	         +------------------------+--------+--------+---------------------+
//	         12 B of header: a 100 B object takes 112 B, 1 KiB takes 1036 B.
//	         crc = CRC32C(bytes 0..8, then data); id 0 is never an object, so an
//	         all-zero header ends a segment's records.
//
// A record needs no sequence number or commit mark: a segment's records
// are valid exactly as far as the committed tables point into it, and
// cleaning decodes only the bytes the log appended since the segment was
// (re)opened.
//
// # Object tables on the device
//
// Each slot is a slot record of 8 bytes, journaled with the batch that
// changes it (see durable.go for the metadata layout):
//
//	bit 63 62 61                 34 33           19 18            2 1   0
//	   +-----+---------------------+---------------+---------------+-----+
//	   | 0 0 | seg (28 bits)       | off/4 (15 b)  | len (17 bits) |state|
//	   +-----+---------------------+---------------+---------------+-----+
//	   state: 0 free (word 0), 1 allocated (no record yet), 3 stored
//
// # What one small write costs
//
// A 100-byte object rewritten in a batch of 256 costs its 112-byte record
// (written once, in one write per segment per batch), a journal range of
// 8 + 16 bytes for its slot record (and its share of the journal record's
// header and padding), its share of the checkpoint that writes the slot
// pages home (a few bytes with a 64 MiB journal), and its share of
// cleaning (about 2 % more at 25 % utilization): about 1.45 bytes per
// byte. A page-granular store writes 4 KiB per object.
//
// # This package
//
// The pure core (no I/O, no locks): Pools hands out ids, Log places
// records (free segments lowest number first) and picks cleaning victims
// (greedy: fewest live bytes), Allocator ties them together (an object's
// table slot remembers its record; storing it again kills the old record;
// cleaning asks Live for each record it finds and Relocates the live
// ones), and the segment and slot formats are encoded and decoded.
// DurableAllocator keeps all of it on the device: tables in a metadata
// area of an mmio region, changed through the caller's transaction and
// committed by the journal; records in segments the Space places in the
// region's file, assembled in DRAM per batch and written straight to the
// file at Commit (layout and protocol in durable.go); it is crash-tested
// at every file operation, with contiguous and with scattered segments.
// Cache puts SSDAlloc's two DRAM tiers in front of it under one budget: a
// small FIFO Page Buffer (a page per object) and a packed LRU RAM Object
// Cache, dirty objects reaching the log in batches, with cleaning run
// ahead of each batch (DurableAllocator.MakeRoom).
package ssdalloc
