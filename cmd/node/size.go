package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeUnits are the units parseSize accepts, matched without regard to
// case. IEC units (KiB, ...) are powers of 1024, SI units (KB, ...) powers
// of 1000, as everywhere else.
var sizeUnits = map[string]int64{
	"b":   1,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
	"tib": 1 << 40,
	"kb":  1e3,
	"mb":  1e6,
	"gb":  1e9,
	"tb":  1e12,
}

// parseSize parses a byte count such as "8GiB", "512 MiB", "100MB" or
// "4096" (bytes). The number is a non-negative integer. Its errors do not
// repeat s: the caller says which flag or variable held it.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i < 0 {
		i = len(s)
	}
	digits, unit := s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	if digits == "" {
		return 0, errors.New("not a size: want a whole number and a unit, e.g. 8GiB, 512MiB or 4096 (bytes)")
	}
	mult := int64(1)
	if unit != "" {
		var ok bool
		if mult, ok = sizeUnits[unit]; !ok {
			return 0, fmt.Errorf("unknown unit %q: want B, KiB, MiB, GiB, TiB, KB, MB, GB or TB", s[i:])
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, errors.New("too large")
	}
	return n * mult, nil
}

// formatSize is parseSize's inverse for display: the largest IEC unit
// that divides n exactly, else plain bytes.
func formatSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	if n == 0 {
		return "0"
	}
	return strconv.FormatInt(n, 10) + "B"
}
