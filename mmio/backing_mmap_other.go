//go:build !linux

package mmio

import (
	"fmt"

	"mapstore/internal/vfs"
)

func newMmapBacking(f vfs.File, off, size int64) (backing, error) {
	return nil, fmt.Errorf("%w: memory-mapped regions need Linux", ErrNoMmap)
}
