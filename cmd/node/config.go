package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"
)

// config is what serve runs with, once defaults, environment and flags
// have been merged.
type config struct {
	dataDir         string
	listen          string
	region          string
	capacity        int64
	device          string // "" means <dataDir>/device
	journalSize     int64
	logLevel        slog.Level
	logFormat       string // "text" or "json"
	domains         []string
	memoryLimit     int64 // 0: leave the Go runtime's limit alone
	shutdownTimeout time.Duration
}

// defaultConfig returns the embedded defaults: a single node on the
// loopback interface with its data in the working directory.
func defaultConfig() config {
	return config{
		dataDir:         "./mapstore-data",
		listen:          "127.0.0.1:9000",
		region:          "us-east-1",
		capacity:        defaultCapacity,
		journalSize:     defaultJournalSize,
		logLevel:        slog.LevelInfo,
		logFormat:       "text",
		shutdownTimeout: 30 * time.Second,
	}
}

// setting is one configurable field: its flag, its environment variable,
// and its help. The table below is the single source of truth for the
// parser, the help text and the tests.
type setting struct {
	flag  string // name without dashes
	env   string
	arg   string // placeholder in the help, e.g. DIR
	help  string
	value flag.Value // points into a config
}

// settings returns the table of settings, each bound to a field of c.
func (c *config) settings() []setting {
	return []setting{
		{"data-dir", "MAPSTORE_DATA_DIR", "DIR", "data directory: the device file, the journal and the credentials; created if missing", (*stringValue)(&c.dataDir)},
		{"listen", "MAPSTORE_LISTEN", "HOST:PORT", "address to serve S3 on; 0.0.0.0:9000 for every interface, port 0 for any free port", (*addrValue)(&c.listen)},
		{"region", "MAPSTORE_REGION", "NAME", "region the server is in: clients must sign for it, CreateBucket's LocationConstraint must name it", (*stringValue)(&c.region)},
		{"capacity", "MAPSTORE_CAPACITY", "SIZE", "size of the device file created for a new data directory; an existing device keeps its size", (*sizeValue)(&c.capacity)},
		{"device", "MAPSTORE_DEVICE", "PATH", "device to store objects on: a file (created), a block device, or a file on a DAX file system", (*stringValue)(&c.device)},
		{"journal-size", "MAPSTORE_JOURNAL_SIZE", "SIZE", "size of the journal file created in a new data directory", (*sizeValue)(&c.journalSize)},
		{"log-level", "MAPSTORE_LOG_LEVEL", "LEVEL", "least important log records written: debug, info, warn or error", (*levelValue)(&c.logLevel)},
		{"log-format", "MAPSTORE_LOG_FORMAT", "FORMAT", "log format on stderr: text (key=value) or json (one object per line)", (*formatValue)(&c.logFormat)},
		{"domain", "MAPSTORE_DOMAIN", "DOMAINS", "comma-separated base domains for virtual-hosted-style requests (bucket.DOMAIN); without, path style only", (*listValue)(&c.domains)},
		{"memory-limit", "MAPSTORE_MEMORY_LIMIT", "SIZE", "soft memory limit of the Go runtime (debug.SetMemoryLimit); 0 leaves it alone (GOMEMLIMIT still applies)", (*sizeValue)(&c.memoryLimit)},
		{"shutdown-timeout", "MAPSTORE_SHUTDOWN_TIMEOUT", "DURATION", "on SIGINT/SIGTERM, how long requests in flight may take to finish before their connections are cut", (*durationValue)(&c.shutdownTimeout)},
	}
}

// usageError is a mistake in the command line or environment: it is
// reported with a hint to --help and exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// parseServe merges defaults, environment (read through getenv) and
// command-line flags, in that order, so that a flag wins over its
// variable and a variable over the default. It returns flag.ErrHelp for
// -h/--help and a usageError for bad input.
func parseServe(args []string, getenv func(string) string) (config, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, help is printed by the caller
	settings := cfg.settings()
	for _, s := range settings {
		fs.Var(s.value, s.flag, s.help)
	}
	for _, s := range settings {
		if v := getenv(s.env); v != "" {
			if err := s.value.Set(v); err != nil {
				return config{}, usageErrorf("environment variable %s=%q: %v", s.env, v, err)
			}
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config{}, err
		}
		return config{}, usageError{err}
	}
	if fs.NArg() > 0 {
		return config{}, usageErrorf("serve takes no arguments, got %q", fs.Args())
	}
	if cfg.dataDir == "" {
		return config{}, usageErrorf("the data directory (--data-dir, MAPSTORE_DATA_DIR) must not be empty")
	}
	if (getenv(envAccessKey) == "") != (getenv(envSecretKey) == "") {
		return config{}, usageErrorf("set both %s and %s, or neither", envAccessKey, envSecretKey)
	}
	if cfg.region == "" {
		return config{}, usageErrorf("the region (--region, MAPSTORE_REGION) must not be empty")
	}
	return cfg, nil
}

// checkListenAddr accepts what net.Listen("tcp", addr) can listen on.
func checkListenAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want HOST:PORT, e.g. 127.0.0.1:9000: %v", err)
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("bad port %q", port)
	}
	return nil
}
