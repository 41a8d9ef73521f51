// Command mapstore runs a mapstore node: an S3-compatible object server
// over the node's local object engine (package localstore). It is built
// from this directory under the name mapstore:
//
//	go build -o mapstore ./cmd/node
//	./mapstore serve
//
// # What serve does
//
// With no flags, serve keeps its data in ./mapstore-data and answers S3
// requests on 127.0.0.1:9000. Start-up runs in this order, and every step
// that fails stops the process with an error that names what it was doing:
//
//	flags + environment ──► config ──► credentials ──► localstore.Open ──► listen ──► serve
//	                                        │
//	                     MAPSTORE_ACCESS_KEY/MAPSTORE_SECRET_KEY, or
//	                     <data-dir>/credentials, or generate + print once
//
// # Configuration
//
// Every setting has a flag and an environment variable (--data-dir and
// MAPSTORE_DATA_DIR, ...). A flag wins over its variable, a variable over
// the built-in default; an empty variable counts as unset. The table of
// settings lives in one place, config.go, which the help text, the parser
// and the tests all read, so they cannot disagree. A bad value (an unknown
// log level, a size such as "8GB!") is reported with the flag or variable
// it came from, and the process exits with status 2, as for any other
// usage error; failures at run time exit with status 1.
//
// Sizes take a unit: B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB,
// TB (powers of 1000); a bare number is bytes.
//
// # Credentials
//
// The server accepts one access key. It comes from MAPSTORE_ACCESS_KEY
// and MAPSTORE_SECRET_KEY when both are set (deliberately not from flags,
// which other users can read in the process list). Otherwise it is read
// from <data-dir>/credentials, and if that file does not exist yet, a new
// key pair is drawn from crypto/rand, written there with mode 0600 in the
// format of an AWS shared credentials file, and printed once to stderr.
// Later starts reuse it silently; to read it again, look at the file (or
// point AWS_SHARED_CREDENTIALS_FILE at it).
//
// # Logs
//
// Everything is logged through one *slog.Logger built from --log-level
// and --log-format and handed to the store and the S3 server; nothing
// uses slog's default logger. The S3 server writes one record per request.
//
// # Shutdown
//
// SIGINT or SIGTERM starts a graceful shutdown: the listener closes, the
// requests in flight may finish for up to --shutdown-timeout, then the
// remaining connections are cut, the store is closed (flushing what it
// holds) and the process exits with status 0. A second signal during the
// shutdown kills the process at once.
package main
