package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

// envMap is a getenv over a fixed map.
func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	cfg, err := parseServe(nil, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		dataDir:         "./mapstore-data",
		listen:          "127.0.0.1:9000",
		region:          "us-east-1",
		capacity:        defaultCapacity,
		journalSize:     defaultJournalSize,
		logLevel:        slog.LevelInfo,
		logFormat:       "text",
		shutdownTimeout: 30 * time.Second,
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", cfg, want)
	}
}

// TestPrecedence sets every setting by environment only, by flag only,
// and by both (the flag must win).
func TestPrecedence(t *testing.T) {
	env := map[string]string{
		"MAPSTORE_DATA_DIR":         "/env/data",
		"MAPSTORE_LISTEN":           "0.0.0.0:9100",
		"MAPSTORE_REGION":           "eu-west-1",
		"MAPSTORE_CAPACITY":         "512MiB",
		"MAPSTORE_DEVICE":           "/dev/env",
		"MAPSTORE_JOURNAL_SIZE":     "16MiB",
		"MAPSTORE_LOG_LEVEL":        "warn",
		"MAPSTORE_LOG_FORMAT":       "json",
		"MAPSTORE_DOMAIN":           "s3.env.example, S3.Other.Example",
		"MAPSTORE_MEMORY_LIMIT":     "1GiB",
		"MAPSTORE_SHUTDOWN_TIMEOUT": "5s",
	}
	fromEnv := config{
		dataDir: "/env/data", listen: "0.0.0.0:9100", region: "eu-west-1",
		capacity: 512 << 20, device: "/dev/env", journalSize: 16 << 20,
		logLevel: slog.LevelWarn, logFormat: "json",
		domains:     []string{"s3.env.example", "s3.other.example"},
		memoryLimit: 1 << 30, shutdownTimeout: 5 * time.Second,
	}
	flags := []string{
		"--data-dir", "/flag/data", "--listen=127.0.0.1:0", "--region", "ap-south-1",
		"--capacity", "8GB", "--device", "/dev/flag", "--journal-size", "4096",
		"--log-level", "debug", "--log-format", "text", "--domain", "s3.flag.example",
		"-memory-limit", "100MB", "--shutdown-timeout", "1m",
	}
	fromFlags := config{
		dataDir: "/flag/data", listen: "127.0.0.1:0", region: "ap-south-1",
		capacity: 8e9, device: "/dev/flag", journalSize: 4096,
		logLevel: slog.LevelDebug, logFormat: "text",
		domains:     []string{"s3.flag.example"},
		memoryLimit: 100e6, shutdownTimeout: time.Minute,
	}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want config
	}{
		{"env", nil, env, fromEnv},
		{"flags", flags, nil, fromFlags},
		{"flags over env", flags, env, fromFlags},
	} {
		cfg, err := parseServe(tc.args, envMap(tc.env))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !reflect.DeepEqual(cfg, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, cfg, tc.want)
		}
	}
	// One flag overrides only its own variable.
	cfg, err := parseServe([]string{"--region", "r1"}, envMap(env))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.region != "r1" || cfg.dataDir != "/env/data" {
		t.Errorf("--region with env: region %q data dir %q", cfg.region, cfg.dataDir)
	}
	// An empty variable counts as unset.
	cfg, err = parseServe(nil, envMap(map[string]string{"MAPSTORE_REGION": ""}))
	if err != nil || cfg.region != "us-east-1" {
		t.Errorf("empty MAPSTORE_REGION: region %q, err %v", cfg.region, err)
	}
}

// TestBadValues checks that bad input exits 2 with a message naming
// where the value came from.
func TestBadValues(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string // in stderr
	}{
		{[]string{"--capacity", "8XB"}, nil, `-capacity: unknown unit "XB"`},
		{[]string{"--capacity", "lots"}, nil, "not a size"},
		{nil, map[string]string{"MAPSTORE_CAPACITY": "-1"}, "MAPSTORE_CAPACITY"},
		{[]string{"--journal-size", "99999999999999TiB"}, nil, "too large"},
		{[]string{"--log-level", "loud"}, nil, "unknown log level"},
		{nil, map[string]string{"MAPSTORE_LOG_LEVEL": "loud"}, `MAPSTORE_LOG_LEVEL="loud"`},
		{[]string{"--log-format", "xml"}, nil, "unknown log format"},
		{[]string{"--listen", "localhost"}, nil, "want HOST:PORT"},
		{[]string{"--listen", "127.0.0.1:http2x"}, nil, "bad port"},
		{[]string{"--domain", "http://s3.example.com"}, nil, "without scheme"},
		{[]string{"--shutdown-timeout", "soon"}, nil, "not a duration"},
		{[]string{"--data-dir", ""}, nil, "must not be empty"},
		{[]string{"--no-such-flag"}, nil, "not defined"},
		{[]string{"stray"}, nil, "takes no arguments"},
		{nil, map[string]string{envAccessKey: "AK"}, "set both"},
		{nil, map[string]string{envSecretKey: "SK"}, "set both"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"serve"}, tc.args...), &stdout, &stderr, envMap(tc.env))
		if code != exitUsage || !strings.Contains(stderr.String(), tc.want) || !strings.Contains(stderr.String(), "--help") {
			t.Errorf("serve %q env %v: exit %d, stderr %q; want exit 2 and %q", tc.args, tc.env, code, stderr.String(), tc.want)
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"0", 0}, {"4096", 4096}, {"1B", 1}, {"8GiB", 8 << 30}, {"512MiB", 512 << 20},
		{"512 mib", 512 << 20}, {"4KiB", 4 << 10}, {"2TiB", 2 << 40},
		{"1KB", 1000}, {"100MB", 100e6}, {"8GB", 8e9}, {"1tb", 1e12}, {" 64MiB ", 64 << 20},
		{"8589934591GiB", 8589934591 << 30},
	} {
		got, err := parseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "GiB", "-1", "1.5GiB", "8G", "8 XB", "8GiBs", "0x10", "8589934592GiB", "99999999999999999999"} {
		if got, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, got)
		}
	}
	for _, n := range []int64{0, 1, 1000, 1 << 10, 3 << 20, 8 << 30, 5 << 40, 1<<30 + 1} {
		if got, err := parseSize(formatSize(n)); err != nil || got != n {
			t.Errorf("parseSize(formatSize(%d) = %q) = %d, %v", n, formatSize(n), got, err)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"serve", "--help"}, {"serve", "-h"}, {"help", "serve"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr, envMap(nil)); code != exitOK {
			t.Errorf("%q: exit %d, want 0", args, code)
		}
		help := stdout.String()
		var cfg config
		for _, s := range cfg.settings() {
			if !strings.Contains(help, "--"+s.flag+" ") || !strings.Contains(help, "$"+s.env+" ") {
				t.Errorf("%q: help does not mention --%s and $%s", args, s.flag, s.env)
			}
		}
		for _, want := range []string{envAccessKey, envSecretKey, "SIGTERM", "mapstore serve"} {
			if !strings.Contains(help, want) {
				t.Errorf("%q: help does not mention %s", args, want)
			}
		}
	}
	if _, err := parseServe([]string{"-h"}, envMap(nil)); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("parseServe(-h) = %v, want flag.ErrHelp", err)
	}

	// No command: usage on stderr, exit 2. An unknown one: exit 2.
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), nil, &stdout, &stderr, envMap(nil)); code != exitUsage || !strings.Contains(stderr.String(), "mapstore serve") {
		t.Errorf("no command: exit %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), []string{"serv"}, &stdout, &stderr, envMap(nil)); code != exitUsage || !strings.Contains(stderr.String(), `unknown command "serv"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr.String())
	}
}
