package vfs

import (
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// Injected returns an error that wraps both ErrInjected and errno, so that
// errors.Is matches either: a test can tell it was injected, and the code
// under test sees the errno it would get from the kernel.
func Injected(errno syscall.Errno) error { return &injectedError{errno: errno} }

type injectedError struct{ errno syscall.Errno }

func (e *injectedError) Error() string   { return "vfs: injected error: " + e.errno.Error() }
func (e *injectedError) Unwrap() []error { return []error{ErrInjected, e.errno} }

// IndexInjector fails the k-th operation that matches its filter. It is
// safe for concurrent use.
type IndexInjector struct {
	k      int64
	filter func(Op) bool
	err    error
	count  atomic.Int64
	fired  atomic.Bool
}

var _ Injector = (*IndexInjector)(nil)

// OnIndex returns an injector that numbers the operations matching filter
// (all if nil) from 0 and fails the one numbered k with err; a nil err
// means Injected(syscall.EIO). With k < 0 it fails nothing and only
// counts, which is how a test learns how many indexes there are to try.
func OnIndex(k int64, filter func(Op) bool, err error) *IndexInjector {
	if err == nil {
		err = Injected(syscall.EIO)
	}
	return &IndexInjector{k: k, filter: filter, err: err}
}

// MaybeError implements Injector.
func (i *IndexInjector) MaybeError(op Op) error {
	if i.filter != nil && !i.filter(op) {
		return nil
	}
	if i.count.Add(1)-1 == i.k {
		i.fired.Store(true)
		return i.err
	}
	return nil
}

// Count returns how many matching operations have been seen.
func (i *IndexInjector) Count() int64 { return i.count.Load() }

// Fired reports whether the error has been injected.
func (i *IndexInjector) Fired() bool { return i.fired.Load() }

// Probability returns an injector that fails each operation matching
// filter (all if nil) with probability p, returning err (nil means
// Injected(syscall.EIO)). Calls to rng are serialized, so the injector is
// safe for concurrent use; a seeded rng gives a reproducible sequence for
// a single-goroutine workload.
func Probability(p float64, rng *rand.Rand, filter func(Op) bool, err error) Injector {
	if err == nil {
		err = Injected(syscall.EIO)
	}
	var mu sync.Mutex
	return InjectorFunc(func(op Op) error {
		if filter != nil && !filter(op) {
			return nil
		}
		mu.Lock()
		hit := rng.Float64() < p
		mu.Unlock()
		if hit {
			return err
		}
		return nil
	})
}

// KindIs returns a filter matching operations of the given kinds.
func KindIs(kinds ...OpKind) func(Op) bool {
	return func(op Op) bool {
		for _, k := range kinds {
			if op.Kind == k {
				return true
			}
		}
		return false
	}
}

// Mutating is a filter matching operations whose kind Mutates.
func Mutating(op Op) bool { return op.Kind.Mutates() }

// PathHasSuffix returns a filter matching operations whose Path, or
// NewPath for a rename, ends in s.
func PathHasSuffix(s string) func(Op) bool {
	return func(op Op) bool {
		return strings.HasSuffix(op.Path, s) || (op.NewPath != "" && strings.HasSuffix(op.NewPath, s))
	}
}

// And returns a filter matching operations that all filters match.
func And(filters ...func(Op) bool) func(Op) bool {
	return func(op Op) bool {
		for _, f := range filters {
			if !f(op) {
				return false
			}
		}
		return true
	}
}
