package mmio

import (
	"fmt"
	"runtime/debug"
)

// protect runs fn with faults turned into errors: a SIGBUS or SIGSEGV raised
// while fn touches the mapping (a failed page-in, an access past the end of
// a truncated file) becomes an error wrapping ErrFault instead of killing
// the process.
func protect(fn func()) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			if f, ok := r.(interface{ Addr() uintptr }); ok {
				err = fmt.Errorf("%w at address %#x", ErrFault, f.Addr())
				return
			}
			panic(r)
		}
	}()
	fn()
	return nil
}

// copyProtected is copy with faults turned into errors.
func copyProtected(dst, src []byte) (n int, err error) {
	err = protect(func() { n = copy(dst, src) })
	return n, err
}
