package s3api

import (
	"errors"
	"testing"
)

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want *ByteRange
	}{
		{"", nil},
		{"bytes=0-9", &ByteRange{First: 0, Last: 9}},
		{"bytes=5-", &ByteRange{First: 5, Last: -1}},
		{"bytes=-7", &ByteRange{IsSuffix: true, SuffixLength: 7}},
		{"bytes=-0", &ByteRange{IsSuffix: true, SuffixLength: 0}},
		{"Bytes= 1 - 2 ", &ByteRange{First: 1, Last: 2}},
		{"bytes=9-5", nil},
		{"bytes=0-1,3-4", nil},
		{"bytes=-", nil},
		{"bytes=a-1", nil},
		{"bytes=+1-2", nil},
		{"bytes=1", nil},
		{"items=0-1", nil},
		{"bytes=99999999999999999999-", nil},
	} {
		got := parseRange(tc.in)
		if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
			t.Errorf("parseRange(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestResolveRange(t *testing.T) {
	for _, tc := range []struct {
		r      ByteRange
		size   int64
		start  int64
		length int64
		ok     bool
	}{
		{ByteRange{First: 0, Last: 9}, 100, 0, 10, true},
		{ByteRange{First: 90, Last: 200}, 100, 90, 10, true},
		{ByteRange{First: 99, Last: -1}, 100, 99, 1, true},
		{ByteRange{First: 100, Last: -1}, 100, 0, 0, false},
		{ByteRange{IsSuffix: true, SuffixLength: 10}, 100, 90, 10, true},
		{ByteRange{IsSuffix: true, SuffixLength: 1000}, 100, 0, 100, true},
		{ByteRange{IsSuffix: true, SuffixLength: 0}, 100, 0, 0, false},
		{ByteRange{First: 0, Last: -1}, 0, 0, 0, false},
		{ByteRange{IsSuffix: true, SuffixLength: 5}, 0, 0, 0, false},
	} {
		got, err := tc.r.Resolve(tc.size)
		if !tc.ok {
			e := AsError(err)
			if !errors.Is(err, ErrInvalidRange) || e.Extra["ActualObjectSize"] == "" || e.Extra["RangeRequested"] != tc.r.String() {
				t.Errorf("%v of %d: %v (extra %v), want InvalidRange", tc.r, tc.size, err, e.Extra)
			}
			continue
		}
		if err != nil || got.Start != tc.start || got.Length != tc.length {
			t.Errorf("%v of %d = %+v %v, want %d+%d", tc.r, tc.size, got, err, tc.start, tc.length)
		}
	}
	if _, err := (ByteRange{First: 0, Last: 100}).ResolveCopy(100); !errors.Is(err, ErrInvalidRange) {
		t.Errorf("copy range beyond the end: %v", err)
	}
	if r, err := (ByteRange{First: 10, Last: 99}).ResolveCopy(100); err != nil || r != (ObjectRange{10, 90}) {
		t.Errorf("copy range: %+v %v", r, err)
	}
}
