package s3api

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRoute(t *testing.T) {
	bases := []string{"s3.example.com"}
	for _, tc := range []struct {
		host, path  string
		bucket, key string
		vhost       bool
		err         *Error
	}{
		{"localhost:9000", "/", "", "", false, nil},
		{"localhost:9000", "", "", "", false, nil},
		{"localhost", "/b", "b", "", false, nil},
		{"localhost", "/b/", "b", "", false, nil},
		{"localhost", "/b/k", "b", "k", false, nil},
		{"localhost", "/b/a//b/../c/", "b", "a//b/../c/", false, nil},
		{"localhost", "//k", "", "", false, ErrInvalidURI},
		{"s3.example.com", "/b/k", "b", "k", false, nil},
		{"b.s3.example.com", "/k/x", "b", "k/x", true, nil},
		{"B.S3.Example.COM:443", "/", "b", "", true, nil},
		{"my.dotted.bucket.s3.example.com.", "//k", "my.dotted.bucket", "/k", true, nil},
		{"other.example.com", "/b/k", "b", "k", false, nil},
		{"localhost", "/b/" + strings.Repeat("k", 1024), "b", strings.Repeat("k", 1024), false, nil},
		{"localhost", "/b/" + strings.Repeat("k", 1025), "", "", false, ErrKeyTooLong},
		{"localhost", "/b/\xff", "", "", false, ErrInvalidURI},
		{"localhost", "b/k", "", "", false, ErrInvalidURI},
	} {
		rt, err := parseRoute(tc.host, tc.path, bases)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("%s %q: err %v, want %v", tc.host, tc.path, err, tc.err)
			}
			continue
		}
		if err != nil || rt.bucket != tc.bucket || rt.key != tc.key || rt.virtualHost != tc.vhost {
			t.Errorf("%s %q: %+v %v, want %q %q vhost %v", tc.host, tc.path, rt, err, tc.bucket, tc.key, tc.vhost)
		}
	}
}

func TestParseQuery(t *testing.T) {
	q, err := parseQuery("a=1&a=2&b&c=x+y%2Bz&&d=")
	if err != nil {
		t.Fatal(err)
	}
	if len(q["a"]) != 2 || !q.has("b") || q.get("c") != "x y+z" || !q.has("d") || q.has("e") {
		t.Fatalf("%v", q)
	}
	if _, err := parseQuery("a=%zz"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("bad escape: %v", err)
	}
}

func TestSelectOp(t *testing.T) {
	obj := route{bucket: "b", key: "k"}
	bkt := route{bucket: "b"}
	for _, tc := range []struct {
		method string
		rt     route
		query  string
		copy   bool
		want   op
		err    *Error
	}{
		{"GET", route{}, "", false, opListBuckets, nil},
		{"PUT", route{}, "", false, opNone, ErrMethodNotAllowed},
		{"PUT", bkt, "", false, opCreateBucket, nil},
		{"DELETE", bkt, "", false, opDeleteBucket, nil},
		{"HEAD", bkt, "", false, opHeadBucket, nil},
		{"GET", bkt, "", false, opListObjects, nil},
		{"GET", bkt, "list-type=2&x-id=ListObjectsV2", false, opListObjectsV2, nil},
		{"GET", bkt, "list-type=1", false, opNone, ErrInvalidArgument},
		{"GET", bkt, "location", false, opGetBucketLocation, nil},
		{"GET", bkt, "versioning", false, opGetBucketVersioning, nil},
		{"GET", bkt, "acl", false, opGetBucketACL, nil},
		{"GET", bkt, "uploads&prefix=x", false, opListMultipartUploads, nil},
		{"GET", bkt, "policy", false, opNone, ErrNotImplemented},
		{"GET", bkt, "versions", false, opNone, ErrNotImplemented},
		{"PUT", bkt, "versioning", false, opNone, ErrNotImplemented},
		{"POST", bkt, "delete", false, opDeleteObjects, nil},
		{"POST", bkt, "", false, opNone, ErrNotImplemented},
		{"PUT", obj, "", false, opPutObject, nil},
		{"PUT", obj, "x-id=PutObject", false, opPutObject, nil},
		{"PUT", obj, "", true, opCopyObject, nil},
		{"PUT", obj, "partNumber=1&uploadId=u", false, opUploadPart, nil},
		{"PUT", obj, "partNumber=1&uploadId=u", true, opUploadPartCopy, nil},
		{"PUT", obj, "tagging", false, opNone, ErrNotImplemented},
		{"PUT", obj, "acl", false, opNone, ErrNotImplemented},
		{"GET", obj, "", false, opGetObject, nil},
		{"GET", obj, "response-content-type=x&partNumber=2", false, opGetObject, nil},
		{"GET", obj, "uploadId=u", false, opListParts, nil},
		{"GET", obj, "acl", false, opGetObjectACL, nil},
		{"GET", obj, "tagging", false, opGetObjectTagging, nil},
		{"GET", bkt, "tagging", false, opNone, ErrNotImplemented},
		{"DELETE", obj, "tagging", false, opNone, ErrNotImplemented},
		{"HEAD", obj, "", false, opHeadObject, nil},
		{"DELETE", obj, "", false, opDeleteObject, nil},
		{"DELETE", obj, "uploadId=u", false, opAbortMultipartUpload, nil},
		{"POST", obj, "uploads", false, opCreateMultipartUpload, nil},
		{"POST", obj, "uploadId=u", false, opCompleteMultipartUpload, nil},
		{"POST", obj, "restore", false, opNone, ErrNotImplemented},
		{"PATCH", obj, "", false, opNone, ErrMethodNotAllowed},
		{"OPTIONS", bkt, "", false, opNone, ErrMethodNotAllowed},
	} {
		q, _ := parseQuery(tc.query)
		got, err := selectOp(tc.method, tc.rt, q, tc.copy)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("%s %+v ?%s: err %v, want %v", tc.method, tc.rt, tc.query, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s %+v ?%s copy=%v: %v %v, want %v", tc.method, tc.rt, tc.query, tc.copy, got, err, tc.want)
		}
	}
}

func TestValidBucketName(t *testing.T) {
	for name, want := range map[string]bool{
		"abc": true, "a.b-c": true, "123": true, strings.Repeat("a", 63): true, "192.168.5.4x": true, "a-s3alias-b": true,
		"ab": false, strings.Repeat("a", 64): false, "Abc": false, "a_b": false, "-ab": false, "ab-": false, ".ab": false,
		"ab.": false, "a..b": false, "192.168.5.4": false, "xn--abc": false, "abc-s3alias": false, "abc--ol-s3": false,
		"sthree-abc": false, "a b": false, "abc.mrap": false, "ünï": false,
	} {
		if got := ValidBucketName(name); got != want {
			t.Errorf("ValidBucketName(%q) = %v", name, got)
		}
	}
}

func TestParseCopySource(t *testing.T) {
	for _, tc := range []struct {
		in          string
		bucket, key string
		ok          bool
	}{
		{"b/k", "b", "k", true},
		{"/b/dir/k%20x", "b", "dir/k x", true},
		{"b/k%3Fq?versionId=null", "b", "k?q", true},
		{"b/k+plus", "b", "k+plus", true},
		{"b/k?versionId=3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", "b", "k", true},
		{"b", "", "", false},
		{"b/", "", "", false},
		{"/k", "", "", false},
		{"b/%zz", "", "", false},
	} {
		b, k, err := parseCopySource(tc.in)
		if (err == nil) != tc.ok || b != tc.bucket || k != tc.key {
			t.Errorf("parseCopySource(%q) = %q %q %v", tc.in, b, k, err)
		}
	}
}

func TestURLEncodeKey(t *testing.T) {
	for in, want := range map[string]string{
		"a/b c":     "a/b%20c",
		"x+y=z":     "x%2By%3Dz",
		"ü":         "%C3%BC",
		"safe-_.~/": "safe-_.~/",
	} {
		if got := urlEncodeKey(in); got != want {
			t.Errorf("urlEncodeKey(%q) = %q, want %q", in, got, want)
		}
	}
}
