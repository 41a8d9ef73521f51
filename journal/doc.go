// Package journal makes changes to a memory-mapped region failure-atomic:
// a transaction's pages become durable all or none, whatever crashes when.
//
// It follows "Failure-Atomic msync()" (EuroSys'13), which gave msync the
// all-or-none guarantee with a redo journal, in user space: the region
// (package mmio) keeps every change private until this package says it may
// reach the home file, and this package writes each transaction's pages to
// a journal before any of them goes home.
//
// # Commit
//
// Commit seals the transaction's dirty pages (they cannot change until
// durable), builds one redo record of the change, appends it to the
// journal file with one vectored write straight from the region's memory,
// and makes it durable with one fdatasync. A page the transaction wrote
// in more than half goes into the record whole; a page it touched in a few
// small places goes in as just those byte ranges, so small updates cost
// small records. Either way the record redoes exactly the change: the
// rest of the page is its previous committed version, which recovery
// rebuilds from the home copy and the records before. While one committer syncs, the
// others queue; the next leader writes all queued records back to back and
// syncs once (group commit). Every record keeps its own commit mark, so one
// transaction never depends on another's. Options.ObserveCommit, if set,
// is told how long each durable commit took and how many bytes its record
// took, for metrics.
//
// # Checkpoint
//
// Journaled pages go home lazily. The checkpointer (a background goroutine,
// or the committer itself with Options.InlineCheckpoint) writes every
// journaled page home with vectored writes sorted by offset
// (mmio.Region.WriteHome), syncs the home file, and only then writes a new
// header whose tail is past the records those pages came from. Their space
// is then reused. Pages written again since they were journaled are written
// home from a frozen copy of their committed version, never from memory
// holding uncommitted bytes.
//
// # Recovery
//
// Open reads the header, then the records from its tail on, each of which
// must carry the next LSN and a valid CRC32C. Committed records are
// replayed into the home file in order (redo is idempotent, so replaying a
// record that already went home is harmless), the home file is synced, and
// the journal starts empty. The first position without the next valid
// record ends the log: a torn or never-synced record there is discarded,
// which is correct because it was never acknowledged.
//
// # Failure
//
// The journal is fail-stop. If a write or fdatasync fails, it refuses every
// later commit with an error wrapping ErrFailed. It never retries a sync: a
// failed fdatasync may already have dropped the dirty pages it was asked to
// write, so a later successful one would report durability that does not
// exist (PostgreSQL's "fsyncgate"). The next Open recovers from whatever
// reached the disk.
//
// # On-disk format
//
// All integers are little-endian. The file is preallocated; its size is
// fixed when it is formatted.
//
//	offset 0       4096      8192                                     end
//	       +---------+---------+--------------------------------------+
//	       | header  | header  | record area (circular)               |
//	       | slot 0  | slot 1  | rec | rec | rec | ...   (free) ...   |
//	       +---------+---------+--------------------------------------+
//
// Header slot (the first 48 bytes of each 4 KiB slot). The two slots are
// written alternately, each with a higher seq, so a torn header write
// leaves the other slot valid; the valid slot with the highest seq wins.
//
//	0        4      6      8        16        24        32         40      44      48
//	+--------+------+------+--------+---------+---------+----------+-------+-------+
//	| "MSJH" | ver  | 0    | seq    | tailLSN | tailPos | capacity | 0     | crc   |
//	| u32    | u16  | u16  | u64    | u64     | u64     | u64      | u32   | u32   |
//	+--------+------+------+--------+---------+---------+----------+-------+-------+
//	crc = CRC32C(bytes 0..44)
//
// Record. Records start on 512-byte boundaries, so a torn write never mixes
// two records in one sector, and never straddle the end of the file: a
// record that does not fit at the head goes to the start of the record area
// (recovery looks there when the next record is not at the head).
//
//	+--------+------+------+--------+--------+--------+--------+--------+
//	| "MSJR" | ver  | 0    | lsn    | size   | count  | hcrc   | 0      |  header, 32 B
//	| u32    | u16  | u16  | u64    | u32    | u32    | u32    | u32    |  hcrc = CRC32C(bytes 0..24)
//	+--------+------+------+--------+--------+--------+--------+--------+
//	| off u64 | len u32 | 0 u32 |  x count                                 entry table
//	+-----------------------------------------------------------------+
//	| data of entry 0 | data of entry 1 | ...                         |  pages or byte ranges
//	+--------+--------+--------+--------------------------------------+
//	| "MSJC" | crc    | lsn    | zero padding to a 512-byte boundary  |  commit mark, 16 B
//	| u32    | u32    | u64    |                                      |
//	+--------+--------+--------+--------------------------------------+
//	size = bytes from the header through the commit mark (unpadded)
//	crc  = CRC32C(entry table, data, then header bytes 0..24)
//
// Fields shown as 0 are reserved and must be zero. The header checksum
// lets recovery trust size before reading the body;
// the commit mark's checksum covers the whole record and its LSN, so a
// record is committed exactly when its last sector reached the disk intact
// together with all the others.
package journal
