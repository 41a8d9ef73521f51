package sigv4

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

const upperHex = "0123456789ABCDEF"

// isUnreserved reports whether b is an RFC 3986 unreserved character, the
// only bytes SigV4 leaves unencoded.
func isUnreserved(b byte) bool {
	return 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' ||
		b == '-' || b == '_' || b == '.' || b == '~'
}

func unhex(b byte) (byte, bool) {
	switch {
	case '0' <= b && b <= '9':
		return b - '0', true
	case 'a' <= b && b <= 'f':
		return b - 'a' + 10, true
	case 'A' <= b && b <= 'F':
		return b - 'A' + 10, true
	}
	return 0, false
}

// uriEncode percent-encodes every byte of s except unreserved characters,
// with upper-case hex, as SigV4 requires for query keys and values.
func uriEncode(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isUnreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
		}
	}
	return b.String()
}

// requestPath returns the path exactly as the client sent it on the wire.
//
// S3 signs the path as sent: it is not normalised ("//", "." and ".." are
// kept) and not encoded a second time. The request line (RequestURI) is the
// most faithful source; r.URL is used when there is no request line (a
// client-side request) or when a handler rewrote the URL.
func requestPath(r *http.Request) string {
	if p, ok := requestURIPath(r.RequestURI); ok {
		if dec, err := url.PathUnescape(p); err == nil && dec == r.URL.Path {
			return p
		}
	}
	if o := r.URL.Opaque; o != "" {
		// Client-side requests may carry the raw path as "//host/path".
		if strings.HasPrefix(o, "//") {
			if j := strings.IndexByte(o[2:], '/'); j >= 0 {
				return o[2+j:]
			}
			return "/"
		}
		return o
	}
	p := r.URL.EscapedPath()
	if p == "" {
		return "/"
	}
	return p
}

// requestURIPath extracts the path of an origin-form ("/p?q") or
// absolute-form ("http://h/p?q") request target.
func requestURIPath(uri string) (string, bool) {
	if uri == "" || uri == "*" {
		return "", false
	}
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if strings.HasPrefix(uri, "/") {
		return uri, true
	}
	i := strings.Index(uri, "://")
	if i < 0 {
		return "", false
	}
	rest := uri[i+3:]
	j := strings.IndexByte(rest, '/')
	if j < 0 {
		return "/", true
	}
	return rest[j:], true
}

// EncodePath percent-encodes a decoded path in the strict SigV4 form:
// unreserved bytes and "/" literal, everything else as upper-case %XX. A
// client that puts this form on the wire sends the path it signs.
func EncodePath(p string) string {
	var b strings.Builder
	b.Grow(len(p) + 8)
	for i := 0; i < len(p); i++ {
		c := p[i]
		if isUnreserved(c) || c == '/' {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
		}
	}
	return b.String()
}

// canonicalPaths returns the canonical URI candidates for r: the path as
// sent, and, if different, the strict encoding of the decoded path. The
// second serves clients that put a looser or stricter encoding on the wire
// than they sign ("$" bare, "~" as "%7E"), or that sign the decoded path
// (minio-go signs "%2F" as "/"). Both decode to the same path, the one
// r.URL.Path holds, so accepting either does not widen what a signature
// authorises.
func canonicalPaths(r *http.Request) []string {
	p := requestPath(r)
	dec, err := url.PathUnescape(p)
	if err != nil {
		return []string{p}
	}
	if alt := EncodePath(dec); alt != p {
		return []string{p, alt}
	}
	return []string{p}
}

// queryParam is one decoded query parameter.
type queryParam struct {
	key, value string
}

// parseQuery splits a raw query string into decoded parameters in order.
// Only "&" separates parameters; "+" decodes to a space, as every SDK signer
// does when it reads back the URL it built.
func parseQuery(raw string) ([]queryParam, error) {
	var params []queryParam
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, fmt.Errorf("%w: malformed query parameter %q", ErrInvalidArgument, k)
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return nil, fmt.Errorf("%w: malformed value of query parameter %q", ErrInvalidArgument, key)
		}
		params = append(params, queryParam{key, value})
	}
	return params, nil
}

// canonicalQuery encodes params as the SigV4 canonical query string: each
// key and value URI-encoded, sorted by key then value, joined with "&". The
// parameter named skip (X-Amz-Signature for presigned URLs) is left out.
func canonicalQuery(params []queryParam, skip string) string {
	enc := make([]queryParam, 0, len(params))
	for _, p := range params {
		if skip != "" && p.key == skip {
			continue
		}
		enc = append(enc, queryParam{uriEncode(p.key), uriEncode(p.value)})
	}
	sort.Slice(enc, func(i, j int) bool {
		if enc[i].key != enc[j].key {
			return enc[i].key < enc[j].key
		}
		return enc[i].value < enc[j].value
	})
	var b strings.Builder
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// headerValues returns the values a signed header had on the wire. Go's
// server moves Host out of the header map and drops Transfer-Encoding, so
// those come from the request fields.
func headerValues(r *http.Request, name string) []string {
	switch name {
	case "host":
		if r.Host != "" {
			return []string{r.Host}
		}
		return []string{r.URL.Host}
	case "content-length":
		if v := r.Header.Values("Content-Length"); len(v) > 0 {
			return v
		}
		if r.ContentLength > 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		return nil
	case "transfer-encoding":
		if v := r.Header.Values("Transfer-Encoding"); len(v) > 0 {
			return v
		}
		return r.TransferEncoding
	}
	return r.Header.Values(name)
}

// canonicalHeaderValue trims a header value and collapses runs of spaces
// into one, as SigV4 requires.
func canonicalHeaderValue(v string) string {
	v = strings.Trim(v, " \t")
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	space := false
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// canonicalHeaders renders "name:value\n" for every signed header, in the
// order of the SignedHeaders list; repeated headers are joined with ",".
// A signed header the request lacks contributes an empty value, which can
// only fail the signature check.
func canonicalHeaders(r *http.Request, signed []string) string {
	var b strings.Builder
	for _, name := range signed {
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range headerValues(r, name) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(canonicalHeaderValue(v))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// canonicalRequest joins the parts of a SigV4 canonical request:
//
//	METHOD \n URI \n QUERY \n HEADERS(each ending in \n) \n SIGNED;HEADERS \n PAYLOAD-HASH
func canonicalRequest(method, uri, query, headers string, signed []string, payloadHash string) string {
	return strings.Join([]string{
		method,
		uri,
		query,
		headers,
		strings.Join(signed, ";"),
		payloadHash,
	}, "\n")
}
