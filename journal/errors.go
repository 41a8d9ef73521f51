package journal

import "errors"

// ErrFailed is wrapped by every Commit error after a journal write or sync
// failed, and by every later one: the journal is fail-stop. A failed
// fdatasync may have dropped the very pages it was asked to persist, so a
// retry that succeeds proves nothing (PostgreSQL's "fsyncgate"); the only
// trustworthy state is what recovery finds on the next Open.
var ErrFailed = errors.New("journal: failed, refusing further commits")

// ErrCorrupt marks data that fails its checksum or structure checks where
// no crash can explain it (a damaged header, a record that contradicts
// itself). A torn tail is not corruption: recovery discards it silently.
var ErrCorrupt = errors.New("journal: corrupt")

// ErrTooLarge is returned by Commit for a transaction whose record cannot
// fit in the journal even when it is empty.
var ErrTooLarge = errors.New("journal: transaction too large for the journal")

// ErrClosed is returned by operations on a closed journal.
var ErrClosed = errors.New("journal: closed")
