package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// benchConfig is what bench runs with, once defaults, environment and
// flags have been merged.
type benchConfig struct {
	endpoints   []string // clients are spread over them round-robin
	credentials string   // --credentials FILE; "" to look elsewhere
	region      string
	bucket      string
	op          string  // benchPut, benchGet or benchMixed
	getRatio    float64 // mixed: the share of GETs
	size        int64
	concurrency int
	duration    time.Duration // 0: no time limit
	count       int64         // 0: no limit on operations
	keys        int64         // 0: chosen by defaultKeys
	consistency string        // "" or "stale"
	json        bool
	noProgress  bool
}

// The workloads of --op.
const (
	benchPut   = "put"
	benchGet   = "get"
	benchMixed = "mixed"
)

// The header that asks a node for a read that may be stale, and its value.
const (
	consistencyHeader = "X-Mapstore-Consistency"
	consistencyStale  = "stale"
)

// defaultBenchConfig returns the embedded defaults: 10 seconds of 4 KiB
// PUTs from 16 clients against a node on this machine.
func defaultBenchConfig() benchConfig {
	return benchConfig{
		endpoints:   []string{"http://127.0.0.1:9000"},
		region:      "us-east-1",
		bucket:      "mapstore-bench",
		op:          benchPut,
		getRatio:    0.5,
		size:        4 << 10,
		concurrency: 16,
		duration:    10 * time.Second,
	}
}

// settings returns the table of bench's settings, each bound to a field
// of c; an empty env means the setting is a flag only.
func (c *benchConfig) settings() []setting {
	return []setting{
		{"endpoint", "MAPSTORE_ENDPOINT", "URL[,URL...]", "S3 endpoints to load; the clients are spread over them round-robin", (*endpointsValue)(&c.endpoints)},
		{"credentials", "", "FILE", "AWS shared credentials file to sign with, such as DIR/credentials of a node; see Credentials below", (*stringValue)(&c.credentials)},
		{"region", "MAPSTORE_REGION", "NAME", "region to sign requests for", (*stringValue)(&c.region)},
		{"bucket", "MAPSTORE_BENCH_BUCKET", "NAME", "bucket to write and read; created if missing", (*stringValue)(&c.bucket)},
		{"op", "MAPSTORE_BENCH_OP", "OP", "operations: put, get, or mixed (GETs and PUTs, see --get-ratio)", (*opValue)(&c.op)},
		{"get-ratio", "MAPSTORE_BENCH_GET_RATIO", "R", "with --op mixed, the share of operations that are GETs, from 0 to 1", (*ratioValue)(&c.getRatio)},
		{"size", "MAPSTORE_BENCH_SIZE", "SIZE", "size of every object written or read", (*sizeValue)(&c.size)},
		{"concurrency", "MAPSTORE_BENCH_CONCURRENCY", "N", "number of clients, each with one request in flight at a time", (*posIntValue)(&c.concurrency)},
		{"duration", "MAPSTORE_BENCH_DURATION", "DURATION", "how long to run; 0 for no time limit (then --count must be set)", (*durationValue)(&c.duration)},
		{"count", "MAPSTORE_BENCH_COUNT", "N", "number of operations to run, if the duration does not run out first; 0 for no limit", (*countValue)(&c.count)},
		{"keys", "MAPSTORE_BENCH_KEYS", "N", "number of distinct keys, used in turn; 0 picks 1000, or fewer to stay within 1 GiB of data, but at least --concurrency and at most --count", (*countValue)(&c.keys)},
		{"consistency", "MAPSTORE_BENCH_CONSISTENCY", "MODE", "read consistency: empty for the node's default, or stale (reads send X-Mapstore-Consistency: stale)", (*consistencyValue)(&c.consistency)},
		{"json", "", "", "print the summary as one JSON object instead of a table", (*boolValue)(&c.json)},
		{"no-progress", "", "", "do not print the progress line on stderr", (*boolValue)(&c.noProgress)},
	}
}

// parseBench merges defaults, environment and flags, in that order, as
// parseServe does. It returns flag.ErrHelp for -h/--help and a
// usageError for bad input.
func parseBench(args []string, getenv func(string) string) (benchConfig, error) {
	cfg := defaultBenchConfig()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	settings := cfg.settings()
	for _, s := range settings {
		fs.Var(s.value, s.flag, s.help)
	}
	for _, s := range settings {
		if v := getenv(s.env); s.env != "" && v != "" {
			if err := s.value.Set(v); err != nil {
				return benchConfig{}, usageErrorf("environment variable %s=%q: %v", s.env, v, err)
			}
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return benchConfig{}, err
		}
		return benchConfig{}, usageError{err}
	}
	if fs.NArg() > 0 {
		return benchConfig{}, usageErrorf("bench takes no arguments, got %q", fs.Args())
	}
	switch {
	case cfg.duration == 0 && cfg.count == 0:
		return benchConfig{}, usageErrorf("no limit: set --duration or --count (or both; whichever runs out first ends the run)")
	case cfg.bucket == "":
		return benchConfig{}, usageErrorf("the bucket (--bucket, MAPSTORE_BENCH_BUCKET) must not be empty")
	case cfg.region == "":
		return benchConfig{}, usageErrorf("the region (--region, MAPSTORE_REGION) must not be empty")
	}
	if cfg.keys == 0 {
		cfg.keys = defaultKeys(cfg.size, cfg.concurrency, cfg.count)
	}
	return cfg, nil
}

// defaultKeys is the number of keys when --keys is not set: 1000, or as
// many as 1 GiB holds if that is fewer, but at least one per client (a
// PUT needs room for each client's object anyway) and no more than there
// are operations (GET and mixed write every key first).
func defaultKeys(size int64, concurrency int, count int64) int64 {
	keys := int64(1000)
	if size > 0 {
		keys = min(keys, max(1, (1<<30)/size))
	}
	keys = max(keys, int64(concurrency))
	if count > 0 {
		keys = min(keys, count)
	}
	return keys
}

// resolveBenchCredentials returns the credentials to sign with: the file
// named by --credentials; else MAPSTORE_ACCESS_KEY and
// MAPSTORE_SECRET_KEY; else the credentials file of a node whose data
// directory is $MAPSTORE_DATA_DIR or ./mapstore-data.
func resolveBenchCredentials(cfg benchConfig, getenv func(string) string) (credentials, error) {
	if cfg.credentials != "" {
		c, err := readCredentials(cfg.credentials)
		if errors.Is(err, fs.ErrNotExist) {
			return credentials{}, usageError{fmt.Errorf("--credentials: %w", err)}
		}
		return c, err
	}
	ak, sk := getenv(envAccessKey), getenv(envSecretKey)
	switch {
	case ak != "" && sk != "":
		return credentials{ak, sk}, nil
	case ak != "" || sk != "":
		return credentials{}, usageErrorf("set both %s and %s, or neither", envAccessKey, envSecretKey)
	}
	dir := getenv("MAPSTORE_DATA_DIR")
	if dir == "" {
		dir = defaultConfig().dataDir
	}
	path := filepath.Join(dir, credentialsFile)
	c, err := readCredentials(path)
	if errors.Is(err, fs.ErrNotExist) {
		return credentials{}, usageErrorf("no credentials: set %s and %s, or name a credentials file with --credentials (there is none at %s)", envAccessKey, envSecretKey, path)
	}
	return c, err
}

// printBenchUsage writes bench's help: every setting with its flag,
// environment variable, default and meaning.
func printBenchUsage(w io.Writer) {
	fmt.Fprint(w, benchIntro)
	fmt.Fprintln(w, "\nFlags:")
	defaults := defaultBenchConfig()
	for _, s := range defaults.settings() {
		def := s.value.String()
		switch {
		case s.flag == "keys":
			def = "0 (automatic)"
		case def == "":
			def = "none"
		}
		name, env := s.flag, ""
		if s.arg != "" {
			name += " " + s.arg
		}
		if s.env != "" {
			env = "$" + s.env
		}
		fmt.Fprintf(w, "  --%-27s %-28s default %s\n", name, env, def)
		for _, line := range wrap(s.help, 68) {
			fmt.Fprintf(w, "      %s\n", line)
		}
	}
	fmt.Fprintf(w, "  %-29s show this help\n", "-h, --help")
	fmt.Fprint(w, benchDetails)
}

// benchQuickStart is bench's line in the main help's quick start.
const benchQuickStart = `  mapstore bench             load that node with 10s of 4KiB PUTs and report
                             throughput and latency (mapstore bench --help)
`

const benchIntro = `Usage: mapstore bench [flags]

Load an S3 endpoint (a mapstore node, or any S3 server) with PUTs, GETs or
a mix of both from --concurrency clients, until --duration has passed or
--count operations are done, and report throughput and latency.

Every flag shown with a variable can be set by it instead; a flag wins over
its variable, a variable over the default. SIZE takes a unit: B, KiB, MiB,
GiB, TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000).
`

const benchDetails = `
Credentials, the first found of:
  --credentials FILE    an AWS shared credentials file, such as the one
                        mapstore serve writes into its data directory
  MAPSTORE_ACCESS_KEY, MAPSTORE_SECRET_KEY
                        the keys themselves, from the environment
  DIR/credentials       the file of a node whose data directory is
                        $MAPSTORE_DATA_DIR, else ./mapstore-data

Workload: every operation writes or reads one object of --size bytes named
bench/SIZE/NNNNNNN in --bucket, taking the --keys keys in turn. Before a
get or mixed run, every key that is missing or of another size is written
(not timed). PUT bodies are random bytes streamed from one shared buffer,
GET bodies are read to the end and dropped, so memory stays small at any
--size. A latency is the time from sending a request to the last byte of
its answer.

Output: a progress line on stderr every second (unless --no-progress),
then on stdout the summary: operations, errors by status and S3 code,
operations and MB (10^6 bytes) per second, and latency mean, p50, p90,
p99, p99.9 and max, per kind of operation for mixed.

Exit status: 0 if every operation succeeded; 1 if any failed, none
completed, or the setup failed (credentials, bucket, writing the keys);
2 on a bad flag or environment variable.
`

// The flag.Value types of bench's settings, besides those serve shares
// (flagvalues.go).

// endpointsValue is a comma-separated list of http or https URLs.
type endpointsValue []string

func (v *endpointsValue) String() string { return strings.Join(*v, ",") }

func (v *endpointsValue) Set(s string) error {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e == "" {
			continue
		}
		u, err := url.Parse(e)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("endpoint %q: want a URL such as http://127.0.0.1:9000", e)
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return errors.New("want at least one endpoint URL")
	}
	*v = out
	return nil
}

// opValue is the workload: put, get or mixed.
type opValue string

func (v *opValue) String() string { return string(*v) }

func (v *opValue) Set(s string) error {
	switch s = strings.ToLower(s); s {
	case benchPut, benchGet, benchMixed:
		*v = opValue(s)
		return nil
	}
	return errors.New("unknown operation: want put, get or mixed")
}

// ratioValue is a number from 0 to 1.
type ratioValue float64

func (v *ratioValue) String() string { return strconv.FormatFloat(float64(*v), 'g', -1, 64) }

func (v *ratioValue) Set(s string) error {
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || !(r >= 0 && r <= 1) {
		return errors.New("want a number from 0 to 1, e.g. 0.9")
	}
	*v = ratioValue(r)
	return nil
}

// posIntValue is a whole number of at least 1.
type posIntValue int

func (v *posIntValue) String() string { return strconv.Itoa(int(*v)) }

func (v *posIntValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1<<20 {
		return errors.New("want a whole number from 1 to 1048576")
	}
	*v = posIntValue(n)
	return nil
}

// countValue is a whole number of at least 0.
type countValue int64

func (v *countValue) String() string { return strconv.FormatInt(int64(*v), 10) }

func (v *countValue) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return errors.New("want a whole number, 0 or more")
	}
	*v = countValue(n)
	return nil
}

// consistencyValue is a read consistency: empty or stale.
type consistencyValue string

func (v *consistencyValue) String() string { return string(*v) }

func (v *consistencyValue) Set(s string) error {
	switch s = strings.ToLower(s); s {
	case "", consistencyStale:
		*v = consistencyValue(s)
		return nil
	}
	return errors.New("unknown consistency: want stale, or empty for the default")
}

// boolValue is a flag that is set by naming it (--json), or explicitly
// (--json=false).
type boolValue bool

func (v *boolValue) IsBoolFlag() bool { return true }
func (v *boolValue) String() string   { return strconv.FormatBool(bool(*v)) }

func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	*v = boolValue(b)
	return nil
}
