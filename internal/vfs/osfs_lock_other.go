//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package vfs

import (
	"fmt"
	"io"
)

// Lock is not supported on this platform.
func (osFS) Lock(name string) (io.Closer, error) {
	return nil, fmt.Errorf("vfs: lock %s: %w", name, ErrUnsupported)
}
