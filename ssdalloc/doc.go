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
// Stored objects live in a log of SegmentSize (128 KiB) segments. Each
// record carries its back pointer (table, slot), so cleaning can tell a
// live record (its table entry still points here) from a dead one and
// move it. All integers are little-endian.
//
//	segment: +--------+------+------+--------+------------+-------+
//	         | "MSSG" | ver  | 0    | seq    | 0 (12 B)   | crc   |  32 B, crc = CRC32C(bytes 0..28)
//	         | u32    | u16  | u16  | u64    |            | u32   |
//	         +--------+------+------+--------+------------+-------+
//	         | record | record | ... | zeros (never written) ...  |
//
//	record:  +------+------+--------+--------+--------+--------+--------+------------+
//	         | "SO" | 0    | len    | table  | slot   | crc    | 0      | data, zero |
//	         | u16  | u16  | u32    | u32    | u32    | u32    | u32    | padded to 8|
//	         +------+------+--------+--------+--------+--------+--------+------------+
//	         crc = CRC32C(bytes 0..16, then data); an all-zero header ends the segment
//
// # This package today
//
// The pure core is here (no I/O, no locks): Pools hands out ids, Log
// places records and picks cleaning victims, Allocator ties them together
// (an object's table slot remembers its record; storing it again kills the
// old record; cleaning asks Live for each decoded record and Relocates the
// live ones), and the segment format is encoded and decoded.
// DurableAllocator keeps all of it on the device, tables in a metadata
// area and segments after it in one mmio region, every change written
// through the caller's transaction (layout in durable.go); it is
// crash-tested at every file operation. Cache puts SSDAlloc's two DRAM
// tiers in front of it under one budget: a small FIFO Page Buffer (a page
// per object) and a packed LRU RAM Object Cache, dirty objects reaching
// the log in batches.
package ssdalloc
