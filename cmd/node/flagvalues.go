package main

import (
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// The flag.Value types of the settings. Each Set validates, so a bad
// value is refused where it was given (flag or environment variable), and
// String shows the value as the help text's default.

// stringValue is any string.
type stringValue string

func (v *stringValue) String() string     { return string(*v) }
func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }

// addrValue is a TCP address to listen on.
type addrValue string

func (v *addrValue) String() string { return string(*v) }

func (v *addrValue) Set(s string) error {
	if err := checkListenAddr(s); err != nil {
		return err
	}
	*v = addrValue(s)
	return nil
}

// sizeValue is a byte count, see parseSize.
type sizeValue int64

func (v *sizeValue) String() string { return formatSize(int64(*v)) }

func (v *sizeValue) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*v = sizeValue(n)
	return nil
}

// durationValue is a time.Duration such as "30s" or "2m".
type durationValue time.Duration

func (v *durationValue) String() string { return time.Duration(*v).String() }

func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return fmt.Errorf("not a duration: want e.g. 30s or 2m")
	}
	*v = durationValue(d)
	return nil
}

// levelValue is one of the four slog levels, by name.
type levelValue slog.Level

var levels = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

func (v *levelValue) String() string { return strings.ToLower(slog.Level(*v).String()) }

func (v *levelValue) Set(s string) error {
	l, ok := levels[strings.ToLower(s)]
	if !ok {
		return fmt.Errorf("unknown log level: want debug, info, warn or error")
	}
	*v = levelValue(l)
	return nil
}

// formatValue is a log format: text or json.
type formatValue string

func (v *formatValue) String() string { return string(*v) }

func (v *formatValue) Set(s string) error {
	s = strings.ToLower(s)
	if s != "text" && s != "json" {
		return fmt.Errorf("unknown log format: want text or json")
	}
	*v = formatValue(s)
	return nil
}

// listValue is a comma-separated list of domain names, kept lower-case
// and without empty entries.
type listValue []string

func (v *listValue) String() string { return strings.Join(*v, ",") }

func (v *listValue) Set(s string) error {
	var out []string
	for _, d := range strings.Split(s, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "" {
			continue
		}
		if strings.ContainsAny(d, ":/ ") || strings.HasPrefix(d, ".") {
			return fmt.Errorf("domain %q: want a host name without scheme, port or leading dot, e.g. s3.example.com", d)
		}
		out = append(out, d)
	}
	*v = out
	return nil
}
