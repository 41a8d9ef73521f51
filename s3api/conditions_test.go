package s3api

import (
	"crypto/md5"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestETagMatches(t *testing.T) {
	const etag = `"abc"`
	for cond, want := range map[string]bool{
		`"abc"`: true, `abc`: true, `W/"abc"`: true, `*`: true, `"x", "abc"`: true, `"x",abc`: true,
		`"abd"`: false, `""`: false, ``: false, `"x", "y"`: false,
	} {
		if got := ETagMatches(cond, etag); got != want {
			t.Errorf("ETagMatches(%q) = %v", cond, got)
		}
	}
}

func TestEvalConditions(t *testing.T) {
	lm := time.Date(2024, 5, 1, 12, 0, 0, 500e6, time.UTC)
	info := ObjectInfo{ETag: `"e"`, LastModified: lm}
	before, same, after := lm.Add(-time.Hour), lm.Truncate(time.Second), lm.Add(time.Hour)
	for _, tc := range []struct {
		name     string
		im, inm  string
		ims, ius time.Time
		want     int
	}{
		{"nothing", "", "", time.Time{}, time.Time{}, 0},
		{"if-match", `"e"`, "", time.Time{}, time.Time{}, 0},
		{"if-match false", `"x"`, "", time.Time{}, time.Time{}, 412},
		{"if-unmodified-since before", "", "", time.Time{}, before, 412},
		{"if-unmodified-since same second", "", "", time.Time{}, same, 0},
		{"if-match true wins over if-unmodified-since", `"e"`, "", time.Time{}, before, 0},
		{"if-none-match", "", `"e"`, time.Time{}, time.Time{}, 304},
		{"if-none-match other", "", `"x"`, time.Time{}, time.Time{}, 0},
		{"if-modified-since after", "", "", after, time.Time{}, 304},
		{"if-modified-since same second", "", "", same, time.Time{}, 304},
		{"if-modified-since before", "", "", before, time.Time{}, 0},
		{"if-none-match false decides over if-modified-since", "", `"e"`, before, time.Time{}, 304},
		{"if-none-match true decides over if-modified-since", "", `"x"`, after, time.Time{}, 0},
		{"412 before 304", `"x"`, `"e"`, time.Time{}, time.Time{}, 412},
	} {
		if got := evalConditions(tc.im, tc.inm, tc.ims, tc.ius, info); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestWriteConditions(t *testing.T) {
	cur := &ObjectInfo{ETag: `"e"`}
	for _, tc := range []struct {
		c    WriteConditions
		cur  *ObjectInfo
		want error
	}{
		{WriteConditions{}, nil, nil},
		{WriteConditions{}, cur, nil},
		{WriteConditions{IfNoneMatch: "*"}, nil, nil},
		{WriteConditions{IfNoneMatch: "*"}, cur, ErrPreconditionFailed},
		{WriteConditions{IfMatch: `"e"`}, cur, nil},
		{WriteConditions{IfMatch: `e`}, cur, nil},
		{WriteConditions{IfMatch: `"x"`}, cur, ErrPreconditionFailed},
		{WriteConditions{IfMatch: `"e"`}, nil, ErrNoSuchKey},
	} {
		err := tc.c.Check(tc.cur)
		if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%+v on %v: %v, want %v", tc.c, tc.cur, err, tc.want)
		}
	}
	if _, err := parseWriteConditions(http.Header{"If-None-Match": {`"e"`}}); !errors.Is(err, ErrNotImplemented) {
		t.Errorf("If-None-Match with an ETag on a write: %v", err)
	}
}

func TestCheckCompletedParts(t *testing.T) {
	const (
		e1 = `"0cc175b9c0f1b6a831c399e269772661"` // md5("a")
		e2 = `"92eb5ffee6ae2fec3ad71c777531578f"` // md5("b")
	)
	big := map[int]PartInfo{1: {PartNumber: 1, ETag: e1, Size: MinPartSize}, 2: {PartNumber: 2, ETag: e2, Size: 1}}
	etag, size, err := CheckCompletedParts([]CompletedPart{{1, e1}, {2, "92eb5ffee6ae2fec3ad71c777531578f"}}, big)
	a, b := md5.Sum([]byte("a")), md5.Sum([]byte("b"))
	sum := md5.Sum(append(a[:], b[:]...))
	if want := fmt.Sprintf("\"%x-2\"", sum); err != nil || etag != want || size != MinPartSize+1 {
		t.Fatalf("CheckCompletedParts = %s %d %v, want %s", etag, size, err, want)
	}
	small := map[int]PartInfo{1: {PartNumber: 1, ETag: e1, Size: 1}, 2: {PartNumber: 2, ETag: e2, Size: 1}}
	for _, tc := range []struct {
		parts    []CompletedPart
		uploaded map[int]PartInfo
		want     *Error
	}{
		{nil, big, ErrMalformedXML},
		{[]CompletedPart{{2, e2}, {1, e1}}, small, ErrInvalidPartOrder},
		{[]CompletedPart{{1, e1}, {1, e1}}, big, ErrInvalidPartOrder},
		{[]CompletedPart{{1, e2}}, big, ErrInvalidPart},
		{[]CompletedPart{{3, e1}}, big, ErrInvalidPart},
		{[]CompletedPart{{1, e1}, {2, e2}}, small, ErrEntityTooSmall},
	} {
		if _, _, err := CheckCompletedParts(tc.parts, tc.uploaded); !errors.Is(err, tc.want) {
			t.Errorf("%v: %v, want %v", tc.parts, err, tc.want)
		}
	}
	if _, _, err := CheckCompletedParts([]CompletedPart{{1, e1}}, small); err != nil {
		t.Errorf("one small part: %v", err)
	}
}
