package s3api

import (
	"fmt"
	"strconv"
	"strings"
)

// ByteRange is a request for part of an object: "bytes=First-Last",
// "bytes=First-" (Last < 0) or "bytes=-SuffixLength" (IsSuffix).
type ByteRange struct {
	First, Last  int64
	IsSuffix     bool
	SuffixLength int64
}

// String returns the range in Range header form.
func (r ByteRange) String() string {
	switch {
	case r.IsSuffix:
		return fmt.Sprintf("bytes=-%d", r.SuffixLength)
	case r.Last < 0:
		return fmt.Sprintf("bytes=%d-", r.First)
	}
	return fmt.Sprintf("bytes=%d-%d", r.First, r.Last)
}

// Resolve returns the bytes of an object of size bytes the range selects
// (RFC 9110 section 14.1.2): a Last beyond the end is clipped, a suffix
// longer than the object selects all of it. A range starting at or beyond
// the end, a zero-length suffix and any range of an empty object are not
// satisfiable: the error is InvalidRange carrying the object size, which
// the Server sends in Content-Range.
func (r ByteRange) Resolve(size int64) (ObjectRange, error) {
	if r.IsSuffix {
		if r.SuffixLength <= 0 || size <= 0 {
			return ObjectRange{}, invalidRange(r, size)
		}
		n := min(r.SuffixLength, size)
		return ObjectRange{Start: size - n, Length: n}, nil
	}
	if r.First < 0 || r.First >= size || (r.Last >= 0 && r.Last < r.First) {
		return ObjectRange{}, invalidRange(r, size)
	}
	last := r.Last
	if last < 0 || last >= size {
		last = size - 1
	}
	return ObjectRange{Start: r.First, Length: last - r.First + 1}, nil
}

// ResolveCopy resolves an x-amz-copy-source-range, which must lie wholly
// within the source object: First-Last with Last < size. Otherwise the
// error is InvalidRange carrying the size.
func (r ByteRange) ResolveCopy(size int64) (ObjectRange, error) {
	if r.IsSuffix || r.First < 0 || r.Last < r.First || r.Last >= size {
		return ObjectRange{}, invalidRange(r, size)
	}
	return ObjectRange{Start: r.First, Length: r.Last - r.First + 1}, nil
}

// invalidRange is the 416 answer for r on an object of size bytes.
func invalidRange(r ByteRange, size int64) *Error {
	e := *ErrInvalidRange
	e.Extra = map[string]string{
		"RangeRequested":   r.String(),
		"ActualObjectSize": strconv.FormatInt(size, 10),
	}
	return &e
}

// parseRange parses a Range header. It returns nil when the header is to
// be ignored and the whole object sent, as S3 does: no header, another
// unit, a syntactically invalid range, or several ranges.
func parseRange(h string) *ByteRange {
	spec, ok := cutPrefixFold(strings.TrimSpace(h), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return nil
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" {
		n, ok := parseDecimal(last)
		if !ok {
			return nil
		}
		return &ByteRange{IsSuffix: true, SuffixLength: n}
	}
	f, ok := parseDecimal(first)
	if !ok {
		return nil
	}
	if last == "" {
		return &ByteRange{First: f, Last: -1}
	}
	l, ok := parseDecimal(last)
	if !ok || l < f {
		return nil
	}
	return &ByteRange{First: f, Last: l}
}

// parseCopySourceRange parses x-amz-copy-source-range, which must be
// "bytes=first-last".
func parseCopySourceRange(h string) (*ByteRange, error) {
	r := parseRange(h)
	if r == nil || r.IsSuffix || r.Last < 0 {
		return nil, ErrInvalidArgument.Withf("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy.")
	}
	return r, nil
}

// parseDecimal parses a non-negative decimal integer of ASCII digits only.
func parseDecimal(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// contentRange formats a Content-Range header value.
func contentRange(r ObjectRange, size int64) string {
	return fmt.Sprintf("bytes %d-%d/%d", r.Start, r.Start+r.Length-1, size)
}
