// Package localstore is the object engine of one mapstore node: buckets,
// objects and multipart uploads on one volume (package volume: a device
// with a block translation, an object allocator and a journal). It
// implements s3api.Backend for a single node, and its Apply is the seam
// the replication layer drives.
//
// # Batches
//
// Every change is an Op in a Batch. Apply(batch, index) decides each op
// against the state the batch's earlier ops left (conditions, bucket
// emptiness, upload existence are decided here, atomically with the
// write), then makes the whole batch durable with one volume commit: the
// data blocks and log records it wrote are synced with one device sync,
// then one journal commit carries the translation and allocator tables
// and the root area with the applied index. A batch whose index is at or
// below the applied one is skipped, so a replayed raft entry applies once.
// Ops carry everything that must be the same on every replica (times,
// upload ids, the object version a copy reads); data object ids are
// allocated in Apply from a counter in the root area.
//
// On a single node a committer goroutine is the only proposer: it takes
// every request waiting, applies them as one batch with the next index,
// and answers each with its own result (group commit).
//
// # Where things are
//
//	device:  | superblock | metadata region (journaled)                  | data blocks ...
//	                      | translation | allocator tables | root area  |
//
//	root area:  | "MSLS" u32 | version u32 | applied index u64 | next data object u64 |
//
// Metadata records are allocator objects in the log's 128 KiB segments.
// A record's payload is a kind byte and little-endian fields, strings as
// u32 length + bytes:
//
//	bucket:  1 | version u64 | name | created i64
//	object:  2 | version u64 | bucket | key | upload id "" | number u32 0
//	         | size i64 | mtime i64 | md5 [16] | parts u32 | metadata
//	         | inline bytes | extents: n u32, n x (obj u64, off i64, len i64)
//	         | part sizes: n u32, n x i64
//	part:    4 | the same fields, with upload id and part number
//	upload:  3 | version u64 | bucket | key | upload id | initiated i64 | metadata
//	open:    5 | version u64 | data object u64
//
//	metadata: content type, encoding, disposition, language, cache control,
//	          expires, checksum algorithm, checksum value (strings)
//	          | n u32, n x (name, value): the user metadata, sorted
//
// The version is the batch's index << 20 | the op's position: unique, and
// what a reader checks to know a record is the one it looked up. An
// object's body is its inline bytes (up to InlineMax, 16 KiB by default)
// or a list of extents: byte ranges of data objects (whose logical block
// b is bytes [4096b, 4096b+4096) of the data object, in the translation),
// or, with data object 0, of the record's inline bytes. A copy shares the
// source's extents, and a multipart object lists its parts' extents: data
// objects are reference counted and freed when no record uses them. A
// record too big for one allocator object (thousands of parts) is a chain
// of frames:
//
//	whole:  0x01 | payload
//	head:   0x02 | n u32 | n x piece id u64 | first bytes of the payload
//	piece:  0x03 | next bytes of the payload
//
// # Large bodies
//
// A body larger than InlineMax streams: an OpOpenData allocates a data
// object (an open record keeps it alive), each 1 MiB chunk is an
// OpWriteData that maps fresh blocks and writes the chunk straight from
// the buffer it was received into, at most three chunks of a body wait to
// be applied while the next is read, and a final small OpPutObject or
// OpPutPart takes the data object over (or, refused, drops it). Memory
// stays bounded whatever the size, and nothing is visible until the
// publish. A writer that fails drops its data object; after a crash, Open
// drops the data objects still open and frees blocks no record refers to.
//
// # Reads
//
// The index is B-trees of keys per bucket, copy-on-write: a batch changes
// clones, and the new state is published (one atomic pointer) only after
// the batch is durable, so nothing not yet durable is ever visible and
// readers never wait for a commit. Listing walks the tree from the first
// key after the start point and jumps past each common prefix with one
// seek: O(log n + k).
//
// A GET is an immutable snapshot (SubZero's peek): it pins the data
// objects of the entry it found, then reads the record and checks its
// version. A record freed or reused by a batch not yet published fails
// the check, and the reader waits for that batch and looks again;
// otherwise the pins keep the blocks alive whatever is overwritten or
// deleted meanwhile, and the last reader's Close has them freed. Data is
// read with vectored reads of whole physical extents (preadv in a system
// call, which hands the goroutine's P to another thread while it waits);
// the GET path reads no mapped memory, so it never stalls on a page fault.
package localstore
