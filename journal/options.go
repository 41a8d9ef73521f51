package journal

import (
	"fmt"
	"log/slog"
	"time"
)

// Options configure a journal. The zero value is valid: see each field's
// default.
type Options struct {
	// Size is the journal file's size when Open creates it; an existing
	// journal keeps its size. Default 64 MiB.
	Size int64
	// CheckpointAt is the fraction of the record area in use at which a
	// checkpoint starts. Default 0.5.
	CheckpointAt float64
	// InlineCheckpoint runs checkpoints on the committing goroutine, after
	// its commit is durable, instead of on a background goroutine. The
	// sequence of file operations is then a function of the sequence of
	// commits, which crash and error-injection tests rely on. Default
	// false.
	InlineCheckpoint bool
	// Logger receives recovery, checkpoint and failure events. Default:
	// discard.
	Logger *slog.Logger
	// ObserveCommit, if not nil, is called after each commit that made a
	// record durable, on the committing goroutine, with the time from the
	// start of Commit until the record was synced (sealing, queueing
	// behind a group-commit leader and the fdatasync included; an inline
	// checkpoint that follows is not) and the bytes the record took in the
	// journal file (padded to 512). It is for metrics: it must be safe for
	// concurrent use and quick. A commit with nothing to write and a
	// failed commit are not observed. Default nil, which costs nothing.
	ObserveCommit func(d time.Duration, bytes int)
}

const (
	defaultSize = 64 << 20
	// minSize leaves room for the headers and a few records.
	minSize = dataStart + 64<<10
)

// EnsureDefaults fills the zero fields with their defaults.
func (o *Options) EnsureDefaults() {
	if o.Size == 0 {
		o.Size = defaultSize
	}
	if o.CheckpointAt == 0 {
		o.CheckpointAt = 0.5
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports options that cannot work.
func (o *Options) Validate() error {
	if o.Size < minSize || o.Size%sectorSize != 0 {
		return fmt.Errorf("journal: size %d must be a multiple of %d and at least %d", o.Size, sectorSize, minSize)
	}
	if o.CheckpointAt <= 0 || o.CheckpointAt > 1 {
		return fmt.Errorf("journal: checkpoint threshold %v is not in (0, 1]", o.CheckpointAt)
	}
	return nil
}
