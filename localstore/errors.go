package localstore

import "errors"

var (
	// ErrOptions marks options that cannot work.
	ErrOptions = errors.New("invalid options")
	// ErrClosed is returned by a Store after Close.
	ErrClosed = errors.New("localstore: closed")
	// ErrCorrupt marks a record that fails to decode.
	ErrCorrupt = errors.New("localstore: corrupt record")
	// ErrFailed wraps the failure that stopped the store: a device write,
	// sync or journal commit failed, so what is in memory may be ahead of
	// what is durable; only reopening (recovery) tells.
	ErrFailed = errors.New("localstore: failed")
	// ErrBadOp is returned for a batch operation that cannot apply to any
	// state (a chunk for a data object that is not open, say).
	ErrBadOp = errors.New("localstore: invalid operation")
)
