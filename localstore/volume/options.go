package volume

import (
	"fmt"
	"log/slog"

	"mapstore/journal"
)

// Options configure Open. The zero value is valid: see each field's
// default.
type Options struct {
	// Run is the translation's run length in blocks, used when Open
	// formats a device; a formatted device keeps its own. Default
	// DefaultRun (1 MiB).
	Run int
	// Buffered keeps the metadata region in a heap buffer read through
	// the FS instead of mapping it: for file systems without descriptors
	// (the in-memory crash FS of the tests). Default false: mapped.
	Buffered bool
	// Budget bounds the metadata region's private pages (mmio.Options).
	// Default 0: unbounded.
	Budget int64
	// Frames is how many DRAM frames the translation tracks. Default 0.
	Frames int
	// Journal configures the journal (its Logger defaults to Logger).
	Journal journal.Options
	// Logger receives what Open finds. Default: discard.
	Logger *slog.Logger
}

// EnsureDefaults fills the zero fields with their defaults.
func (o *Options) EnsureDefaults() {
	if o.Run == 0 {
		o.Run = DefaultRun
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Journal.Logger == nil {
		o.Journal.Logger = o.Logger
	}
}

// Validate reports options that cannot work.
func (o *Options) Validate() error {
	if o.Run <= 0 || o.Run&(o.Run-1) != 0 {
		return fmt.Errorf("volume: run length %d is not a power of two", o.Run)
	}
	if o.Budget < 0 || o.Frames < 0 {
		return fmt.Errorf("volume: negative budget %d or frames %d", o.Budget, o.Frames)
	}
	return nil
}
