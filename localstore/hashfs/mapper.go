package hashfs

// Mapper is a translation from (object, logical block) to physical block
// that also allocates blocks. Table (HashFS), Cuckoo and ExtentTree
// implement it so benchmarks and model tests run against any of them.
//
// Physical blocks are numbered 0 to Slots()-1. A Mapper is pure logic: it
// does no I/O, and it is not safe for concurrent use; the caller
// serializes calls and persists the state.
type Mapper interface {
	// Lookup returns the physical block of k, and false if k is not
	// mapped.
	Lookup(k Key) (int64, bool)

	// Insert maps k to a free physical block, allocating it, and returns
	// the block. It fails with ErrBlockRange if k.Block > MaxBlock, with
	// ErrExists if k is already mapped, and with ErrFull if no block can
	// be given to k. A failed Insert changes nothing.
	Insert(k Key) (int64, error)

	// Delete unmaps k and frees its block; the block can be allocated
	// again at once. No implementation moves another block. Delete fails
	// with ErrNotFound if k is not mapped.
	Delete(k Key) error

	// Len returns the number of mapped blocks.
	Len() int64

	// Slots returns the number of physical blocks.
	Slots() int64
}

var (
	_ Mapper = (*Table)(nil)
	_ Mapper = (*Cuckoo)(nil)
	_ Mapper = (*ExtentTree)(nil)
)
