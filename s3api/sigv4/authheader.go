package sigv4

import (
	"fmt"
	"strings"
	"time"
)

// authFields are the signature parameters common to the Authorization
// header and presigned query forms.
type authFields struct {
	accessKeyID   string
	scope         scope
	signedHeaders []string
	signature     string // 64 lower-case hex digits
}

// parseAuthorization parses
//
//	AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=<64 hex>
//
// The three fields may be separated by "," with or without spaces and may
// come in any order; each must appear exactly once. Errors wrap
// ErrAuthorizationHeaderMalformed, or ErrUnsupportedAuthorization for other
// signature schemes.
func parseAuthorization(v string) (authFields, error) {
	var af authFields
	alg, rest, ok := strings.Cut(v, " ")
	if alg != algorithm {
		switch {
		case alg == "AWS" || strings.HasPrefix(alg, "AWS4-"):
			return af, fmt.Errorf("%w: %q", ErrUnsupportedAuthorization, alg)
		default:
			return af, fmt.Errorf("%w: unknown algorithm", ErrAuthorizationHeaderMalformed)
		}
	}
	if !ok {
		return af, fmt.Errorf("%w: missing fields", ErrAuthorizationHeaderMalformed)
	}

	var credential, signedHeaders, signature string
	var seen [3]bool
	for _, part := range strings.Split(rest, ",") {
		part = strings.Trim(part, " ")
		key, value, ok := strings.Cut(part, "=")
		if !ok {
			return af, fmt.Errorf("%w: field %q is not key=value", ErrAuthorizationHeaderMalformed, part)
		}
		var i int
		switch key {
		case "Credential":
			i, credential = 0, value
		case "SignedHeaders":
			i, signedHeaders = 1, value
		case "Signature":
			i, signature = 2, value
		default:
			return af, fmt.Errorf("%w: unknown field %q", ErrAuthorizationHeaderMalformed, key)
		}
		if seen[i] {
			return af, fmt.Errorf("%w: repeated field %q", ErrAuthorizationHeaderMalformed, key)
		}
		seen[i] = true
	}
	for i, name := range []string{"Credential", "SignedHeaders", "Signature"} {
		if !seen[i] {
			return af, fmt.Errorf("%w: missing %s", ErrAuthorizationHeaderMalformed, name)
		}
	}
	return parseAuthFields(credential, signedHeaders, signature, ErrAuthorizationHeaderMalformed)
}

// parseAuthFields validates the Credential, SignedHeaders and Signature
// values; errors wrap kind.
func parseAuthFields(credential, signedHeaders, signature string, kind error) (authFields, error) {
	var af authFields
	var err error
	if af.accessKeyID, af.scope, err = parseCredential(credential, kind); err != nil {
		return af, err
	}
	if af.signedHeaders, err = parseSignedHeaders(signedHeaders, kind); err != nil {
		return af, err
	}
	if !isLowerHex(signature, 64) {
		return af, fmt.Errorf("%w: signature must be 64 lower-case hex digits", kind)
	}
	af.signature = signature
	return af, nil
}

// parseCredential splits "AK/date/region/service/aws4_request". The access
// key is everything before the last four "/"-separated fields, so keys that
// contain "/" still parse.
func parseCredential(v string, kind error) (string, scope, error) {
	var s scope
	parts := strings.Split(v, "/")
	if len(parts) < 5 {
		return "", s, fmt.Errorf("%w: credential %q is not AK/date/region/service/aws4_request", kind, v)
	}
	n := len(parts)
	ak := strings.Join(parts[:n-4], "/")
	s = scope{date: parts[n-4], region: parts[n-3], service: parts[n-2]}
	switch {
	case ak == "":
		return "", s, fmt.Errorf("%w: empty access key id", kind)
	case !isCredentialDate(s.date):
		return "", s, fmt.Errorf("%w: invalid credential date %q", kind, s.date)
	case s.region == "":
		return "", s, fmt.Errorf("%w: empty region", kind)
	case s.service != serviceS3:
		return "", s, fmt.Errorf("%w: incorrect service %q, expecting %q", kind, s.service, serviceS3)
	case parts[n-1] != scopeTerminator:
		return "", s, fmt.Errorf("%w: credential must end with %q", kind, scopeTerminator)
	}
	return ak, s, nil
}

func isCredentialDate(d string) bool {
	if len(d) != len(yyyymmdd) {
		return false
	}
	_, err := time.Parse(yyyymmdd, d)
	return err == nil
}

// parseSignedHeaders splits "host;x-amz-date". Names must be non-empty,
// lower case, free of separators and unique, and "host" must be among them.
func parseSignedHeaders(v string, kind error) ([]string, error) {
	if v == "" {
		return nil, fmt.Errorf("%w: empty SignedHeaders", kind)
	}
	names := strings.Split(v, ";")
	seen := make(map[string]struct{}, len(names))
	for _, n := range names {
		if !isLowerToken(n) {
			return nil, fmt.Errorf("%w: invalid signed header name %q", kind, n)
		}
		if _, dup := seen[n]; dup {
			return nil, fmt.Errorf("%w: signed header %q repeated", kind, n)
		}
		seen[n] = struct{}{}
	}
	if _, ok := seen["host"]; !ok {
		return nil, fmt.Errorf("%w: the host header must be signed", kind)
	}
	return names, nil
}

// isLowerToken reports whether s is a non-empty HTTP field name without
// upper-case letters.
func isLowerToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
