//go:build !linux

package device

import (
	"fmt"
	"os"

	"mapstore/internal/vfs"
)

func detect(path string) (probe, error) {
	mode, exists, err := statMode(path)
	if err != nil {
		return probe{}, err
	}
	if exists && mode&os.ModeDevice != 0 && mode&os.ModeCharDevice == 0 {
		return probe{kind: KindBlock, isBlock: true}, nil
	}
	return probe{kind: KindFile}, nil
}

func blockSize(f vfs.File) (int64, error) {
	return 0, fmt.Errorf("block devices are supported on Linux only")
}

func probeMapSync(vfs.File) bool { return false }
