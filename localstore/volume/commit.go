package volume

import (
	"fmt"

	"mapstore/mmio"
)

// Commit makes the batch in tx durable, all or none: the blocks freed in
// it are unmapped (only now, so the batch could not reuse them), the data
// and records written straight to the device are synced, and then the
// journal commits the metadata that refers to them. A failure is final:
// the volume refuses further changes and must be reopened.
func (v *Volume) Commit(tx *mmio.Tx) error {
	if v.err != nil {
		tx.Rollback()
		return v.err
	}
	for _, k := range v.pendingFree {
		if err := v.tr.Delete(tx, k); err != nil {
			tx.Rollback()
			return v.fail(fmt.Errorf("volume: freeing object %d block %d: %w", k.Obj, k.Block, err))
		}
	}
	v.pendingFree = v.pendingFree[:0]
	// One device sync for the data blocks and the allocator's records.
	records, err := v.alloc.Flush()
	if err != nil {
		tx.Rollback()
		return v.fail(err)
	}
	if v.dataDirty || records {
		if err := v.dev.Datasync(); err != nil {
			tx.Rollback()
			return v.fail(fmt.Errorf("volume: syncing data blocks and records: %w", err))
		}
		v.dataDirty = false
		v.alloc.Synced()
	}
	if err := v.alloc.Commit(v.j, tx); err != nil {
		return v.fail(err)
	}
	return nil
}
