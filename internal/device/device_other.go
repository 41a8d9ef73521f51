//go:build !linux

package device

import (
	"fmt"

	"mapstore/internal/vfs"
)

// fileKind: without Linux's statfs and mount table, every file is a
// plain file.
func fileKind(string) (probe, error) { return probe{kind: KindFile}, nil }

func blockSize(f vfs.File) (int64, error) {
	return 0, fmt.Errorf("block devices are supported on Linux only")
}

func probeMapSync(vfs.File) bool { return false }
