package s3api

import (
	"errors"
	"net/url"
	"strconv"
	"testing"
	"unicode/utf8"
)

// FuzzRequestParsing drives everything the Server parses before it calls
// a Backend: routing (host and path), the query and the operation it
// selects, listing parameters and continuation tokens, Range and
// x-amz-copy-source(-range) headers, and the XML request bodies. Besides
// not panicking, each parser must keep its promises (see the checks).
func FuzzRequestParsing(f *testing.F) {
	f.Add("GET", "b.s3.example.com", "/k/x?list-type=2&continuation-token=YQ&max-keys=5", "bytes=0-9", []byte("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e\"</ETag></Part></CompleteMultipartUpload>"))
	f.Add("PUT", "localhost:9000", "/bucket/a//b/../c?partNumber=3&uploadId=xyz", "bytes=-5", []byte("/src/key%20x?versionId=null"))
	f.Add("POST", "localhost", "/bucket?delete", "bytes=5-", []byte("<Delete><Quiet>true</Quiet><Object><Key>a</Key></Object></Delete>"))
	f.Add("GET", "localhost", "/bucket?uploads&key-marker=a&max-uploads=2&encoding-type=url", "bytes=0-1,2-3", []byte("<CreateBucketConfiguration><LocationConstraint>x</LocationConstraint></CreateBucketConfiguration>"))
	f.Add("DELETE", "x", "/%FF?acl&tagging", "items=1-2", []byte{})
	f.Fuzz(func(t *testing.T, method, host, target, rangeHdr string, body []byte) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		rt, err := parseRoute(host, u.Path, []string{"s3.example.com"})
		if err == nil {
			if rt.bucket == "" && rt.key != "" {
				t.Fatalf("key %q without bucket", rt.key)
			}
			if len(rt.key) > MaxKeyLength || !utf8.ValidString(rt.key) {
				t.Fatalf("invalid key %q accepted", rt.key)
			}
		} else if AsError(err).Status != 400 {
			t.Fatalf("route error %v", err)
		}
		q, err := parseQuery(u.RawQuery)
		if err != nil {
			return
		}
		o, err := selectOp(method, rt, q, len(body)%2 == 0)
		if (err == nil) == (o == opNone) || o < 0 || o >= opCount {
			t.Fatalf("selectOp = %v, %v", o, err)
		}
		for _, parse := range []func(queryValues) (listParams, error){parseListV1, parseListV2} {
			p, err := parse(q)
			if err != nil {
				if !errors.Is(err, ErrInvalidArgument) {
					t.Fatalf("list parameters: %v", err)
				}
				continue
			}
			if p.maxKeys < 0 || p.maxKeys > MaxListKeys {
				t.Fatalf("max-keys %d", p.maxKeys)
			}
			if back, err := decodeToken(encodeToken(p.after)); len(p.after) <= MaxKeyLength && (err != nil || back != p.after) {
				t.Fatalf("token round trip of %q: %q %v", p.after, back, err)
			}
		}
		checkRange(t, rangeHdr)
		if r, err := parseCopySourceRange(rangeHdr); err == nil && (r.IsSuffix || r.Last < r.First) {
			t.Fatalf("copy range %+v accepted", r)
		}
		if b, k, err := parseCopySource(string(body)); err == nil && (b == "" || k == "" || len(k) > MaxKeyLength) {
			t.Fatalf("copy source %q %q accepted", b, k)
		}
		for _, v := range []any{&completeMultipartUpload{}, &deleteRequest{}, &createBucketConfiguration{}} {
			if err := decodeXML(body, v); err != nil && !errors.Is(err, ErrMalformedXML) && !errors.Is(err, ErrMissingRequestBody) {
				t.Fatalf("XML error %v", err)
			}
		}
		if dec, err := url.PathUnescape(urlEncodeKey(rt.key)); err != nil || dec != rt.key {
			t.Fatalf("url encoding of %q does not round-trip: %q %v", rt.key, dec, err)
		}
	})
}

// checkRange parses a Range header and checks Resolve's promises for a few
// object sizes.
func checkRange(t *testing.T, h string) {
	r := parseRange(h)
	if r == nil {
		return
	}
	if back := parseRange(r.String()); back == nil || *back != *r {
		t.Fatalf("range %+v does not round-trip through %q", r, r.String())
	}
	for _, size := range []int64{0, 1, 10, 1000, 1 << 40} {
		got, err := r.Resolve(size)
		if err != nil {
			e := AsError(err)
			if e.Code != ErrInvalidRange.Code || e.Extra["ActualObjectSize"] != strconv.FormatInt(size, 10) {
				t.Fatalf("%+v of %d: %v %v", r, size, err, e.Extra)
			}
			continue
		}
		if got.Start < 0 || got.Length < 1 || got.Start+got.Length > size {
			t.Fatalf("%+v of %d resolved to %+v", r, size, got)
		}
	}
}
