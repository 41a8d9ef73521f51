package s3api

import (
	"net/http"
	"strings"
	"time"
)

// Conditional requests. GET and HEAD are decided by the Server against the
// snapshot the Backend opened; writes and copy sources are decided by the
// Backend (WriteConditions.Check, CopyConditions.Check) with the same
// rules.

// ETagMatches reports whether an If-Match / If-None-Match value matches
// etag. The value is "*" (matches anything) or a comma-separated list of
// ETags, quoted or not; weak validators ("W/...") compare by their tag.
func ETagMatches(condition, etag string) bool {
	want := trimETag(etag)
	for _, c := range strings.Split(condition, ",") {
		c = strings.TrimSpace(c)
		if c == "*" {
			return true
		}
		c = strings.TrimPrefix(c, "W/")
		if c != "" && trimETag(c) == want {
			return true
		}
	}
	return false
}

// trimETag removes the quotes around an ETag.
func trimETag(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// quoteETag returns an ETag in its quoted form, as S3 sends it.
func quoteETag(s string) string { return `"` + trimETag(s) + `"` }

// evalConditions applies S3's precedence rules for preconditions and
// returns 0 (proceed), 412 or 304:
//
//   - If-Match present: it alone decides 412 (If-Unmodified-Since is
//     ignored), otherwise If-Unmodified-Since does;
//   - then If-None-Match present: it alone decides 304 (If-Modified-Since
//     is ignored), otherwise If-Modified-Since does.
//
// Zero times are absent headers. HTTP dates have whole seconds, so the
// object's time is truncated before comparing.
func evalConditions(ifMatch, ifNoneMatch string, ifModifiedSince, ifUnmodifiedSince time.Time, info ObjectInfo) int {
	lm := info.LastModified.Truncate(time.Second)
	switch {
	case ifMatch != "":
		if !ETagMatches(ifMatch, info.ETag) {
			return http.StatusPreconditionFailed
		}
	case !ifUnmodifiedSince.IsZero() && lm.After(ifUnmodifiedSince):
		return http.StatusPreconditionFailed
	}
	switch {
	case ifNoneMatch != "":
		if ETagMatches(ifNoneMatch, info.ETag) {
			return http.StatusNotModified
		}
	case !ifModifiedSince.IsZero() && !lm.After(ifModifiedSince):
		return http.StatusNotModified
	}
	return 0
}

// readConditions are the conditional headers of a GET or HEAD.
type readConditions struct {
	ifMatch, ifNoneMatch               string
	ifModifiedSince, ifUnmodifiedSince time.Time
}

func parseReadConditions(h http.Header) readConditions {
	return readConditions{
		ifMatch:           h.Get("If-Match"),
		ifNoneMatch:       h.Get("If-None-Match"),
		ifModifiedSince:   parseHTTPTime(h.Get("If-Modified-Since")),
		ifUnmodifiedSince: parseHTTPTime(h.Get("If-Unmodified-Since")),
	}
}

func (c readConditions) present() bool {
	return c.ifMatch != "" || c.ifNoneMatch != "" || !c.ifModifiedSince.IsZero() || !c.ifUnmodifiedSince.IsZero()
}

// eval returns nil, ErrPreconditionFailed or ErrNotModified.
func (c readConditions) eval(info ObjectInfo) error {
	switch evalConditions(c.ifMatch, c.ifNoneMatch, c.ifModifiedSince, c.ifUnmodifiedSince, info) {
	case http.StatusPreconditionFailed:
		return ErrPreconditionFailed
	case http.StatusNotModified:
		return ErrNotModified
	}
	return nil
}

// parseCopyConditions reads the x-amz-copy-source-if-* headers.
func parseCopyConditions(h http.Header) CopyConditions {
	return CopyConditions{
		IfMatch:           h.Get("X-Amz-Copy-Source-If-Match"),
		IfNoneMatch:       h.Get("X-Amz-Copy-Source-If-None-Match"),
		IfModifiedSince:   parseHTTPTime(h.Get("X-Amz-Copy-Source-If-Modified-Since")),
		IfUnmodifiedSince: parseHTTPTime(h.Get("X-Amz-Copy-Source-If-Unmodified-Since")),
	}
}

// parseWriteConditions reads If-Match and If-None-Match of a write. S3
// supports only "*" for If-None-Match on writes.
func parseWriteConditions(h http.Header) (WriteConditions, error) {
	c := WriteConditions{IfMatch: h.Get("If-Match"), IfNoneMatch: h.Get("If-None-Match")}
	if c.IfNoneMatch != "" && strings.TrimSpace(c.IfNoneMatch) != "*" {
		return c, ErrNotImplemented.Withf("If-None-Match on writes supports only \"*\".")
	}
	if c.IfNoneMatch != "" {
		c.IfNoneMatch = "*"
	}
	return c, nil
}

// parseHTTPTime parses an HTTP date; an invalid date is no condition, as
// RFC 9110 says.
func parseHTTPTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := http.ParseTime(s)
	if err != nil {
		return time.Time{}
	}
	return t
}
