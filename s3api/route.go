package s3api

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Routing: which bucket and key a request names, and which operation it
// asks for. Everything here is pure, so it is unit-tested and fuzzed
// directly.

// route is the resource a request names.
type route struct {
	bucket string // "" for the service (ListBuckets)
	key    string // "" for a bucket operation
	// virtualHost reports that the bucket came from the Host header.
	virtualHost bool
}

// parseRoute finds bucket and key in the request's Host and decoded path.
//
// Virtual-hosted style: if host (without port, any case) is
// "<bucket>.<base>" for one of baseDomains, the bucket is "<bucket>" and
// the whole path after the first "/" is the key. Otherwise path style:
// "/<bucket>/<key>". The key is kept exactly ("a//b/../c" is a key of its
// own, S3 does not normalise). Keys must be valid UTF-8 of at most
// MaxKeyLength bytes.
func parseRoute(host, path string, baseDomains []string) (route, error) {
	if path == "" {
		path = "/"
	}
	if path[0] != '/' {
		return route{}, ErrInvalidURI
	}
	var rt route
	if b, ok := virtualHostBucket(host, baseDomains); ok {
		rt = route{bucket: b, key: path[1:], virtualHost: true}
	} else {
		rt.bucket, rt.key, _ = strings.Cut(path[1:], "/")
		if rt.bucket == "" && rt.key != "" {
			return route{}, ErrInvalidURI.Withf("The bucket name in the path is empty.")
		}
	}
	if rt.bucket == "" {
		return rt, nil
	}
	if len(rt.key) > MaxKeyLength {
		e := *ErrKeyTooLong
		e.Extra = map[string]string{"MaxSizeAllowed": "1024", "Size": strconv.Itoa(len(rt.key))}
		return route{}, &e
	}
	if !utf8.ValidString(rt.key) || !utf8.ValidString(rt.bucket) {
		return route{}, ErrInvalidURI.Withf("Object keys must be valid UTF-8.")
	}
	return rt, nil
}

// virtualHostBucket extracts the bucket of a virtual-hosted-style host.
func virtualHostBucket(host string, baseDomains []string) (string, bool) {
	if len(baseDomains) == 0 || host == "" {
		return "", false
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, base := range baseDomains {
		if b, ok := strings.CutSuffix(host, "."+base); ok && b != "" {
			return b, true
		}
	}
	return "", false
}

// queryValues are the decoded query parameters. Only "&" separates
// parameters and "+" is a space, as in sigv4's canonical query (so that
// what is routed is what was signed).
type queryValues map[string][]string

// parseQuery decodes a raw query string.
func parseQuery(raw string) (queryValues, error) {
	q := make(queryValues)
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, ErrInvalidArgument.Withf("Malformed query parameter.")
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return nil, ErrInvalidArgument.Withf("Malformed value of query parameter %s.", key)
		}
		q[key] = append(q[key], value)
	}
	return q, nil
}

func (q queryValues) has(k string) bool { _, ok := q[k]; return ok }

func (q queryValues) get(k string) string {
	if v := q[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (q queryValues) lookup(k string) (string, bool) {
	v, ok := q[k]
	if !ok || len(v) == 0 {
		return "", ok
	}
	return v[0], true
}

// op is an S3 operation.
type op int

const (
	opNone op = iota
	opListBuckets
	opCreateBucket
	opDeleteBucket
	opHeadBucket
	opGetBucketLocation
	opGetBucketVersioning
	opGetBucketACL
	opListObjects
	opListObjectsV2
	opListMultipartUploads
	opDeleteObjects
	opPutObject
	opCopyObject
	opGetObject
	opHeadObject
	opDeleteObject
	opGetObjectACL
	opGetObjectTagging
	opCreateMultipartUpload
	opUploadPart
	opUploadPartCopy
	opCompleteMultipartUpload
	opAbortMultipartUpload
	opListParts
	opCount
)

var opNames = [opCount]string{
	opNone:                    OpUnknown,
	opListBuckets:             "ListBuckets",
	opCreateBucket:            "CreateBucket",
	opDeleteBucket:            "DeleteBucket",
	opHeadBucket:              "HeadBucket",
	opGetBucketLocation:       "GetBucketLocation",
	opGetBucketVersioning:     "GetBucketVersioning",
	opGetBucketACL:            "GetBucketAcl",
	opListObjects:             "ListObjects",
	opListObjectsV2:           "ListObjectsV2",
	opListMultipartUploads:    "ListMultipartUploads",
	opDeleteObjects:           "DeleteObjects",
	opPutObject:               "PutObject",
	opCopyObject:              "CopyObject",
	opGetObject:               "GetObject",
	opHeadObject:              "HeadObject",
	opDeleteObject:            "DeleteObject",
	opGetObjectACL:            "GetObjectAcl",
	opGetObjectTagging:        "GetObjectTagging",
	opCreateMultipartUpload:   "CreateMultipartUpload",
	opUploadPart:              "UploadPart",
	opUploadPartCopy:          "UploadPartCopy",
	opCompleteMultipartUpload: "CompleteMultipartUpload",
	opAbortMultipartUpload:    "AbortMultipartUpload",
	opListParts:               "ListParts",
}

func (o op) String() string {
	if o >= 0 && o < opCount {
		return opNames[o]
	}
	return "Unknown"
}

// unsupportedSubresources are S3 subresources mapstore does not implement:
// a request naming one is answered NotImplemented rather than being taken
// for the plain operation (a PUT ?policy must not overwrite an object
// named by the path, a GET ?versions must not list current keys as if
// they were versions). The ones with a fixed answer (acl, versioning,
// location, and GET of an object's tagging) are routed explicitly.
var unsupportedSubresources = []string{
	"accelerate", "analytics", "attributes", "cors", "encryption",
	"intelligent-tiering", "inventory", "legal-hold", "lifecycle", "logging",
	"metadataConfiguration", "metadataTable", "metrics", "notification",
	"object-lock", "ownershipControls", "policy", "policyStatus",
	"publicAccessBlock", "renameObject", "replication", "requestPayment",
	"restore", "retention", "select", "session", "tagging", "torrent",
	"versions", "website",
}

// selectOp picks the operation from the method, the route and the query.
// Query parameters that are not subresources (x-id, response-*, prefix,
// ...) do not affect the choice. copySource reports an x-amz-copy-source
// header.
func selectOp(method string, rt route, q queryValues, copySource bool) (op, error) {
	if method == "GET" && rt.key != "" && q.has("tagging") && !q.has("uploadId") {
		return opGetObjectTagging, nil
	}
	for _, sub := range unsupportedSubresources {
		if q.has(sub) {
			return opNone, ErrNotImplemented.Withf("The %s subresource is not implemented.", sub)
		}
	}
	switch {
	case rt.bucket == "":
		if method == "GET" {
			return opListBuckets, nil
		}
	case rt.key == "":
		return selectBucketOp(method, q)
	default:
		return selectObjectOp(method, q, copySource)
	}
	return opNone, ErrMethodNotAllowed
}

func selectBucketOp(method string, q queryValues) (op, error) {
	switch method {
	case "GET":
		switch {
		case q.has("location"):
			return opGetBucketLocation, nil
		case q.has("versioning"):
			return opGetBucketVersioning, nil
		case q.has("acl"):
			return opGetBucketACL, nil
		case q.has("uploads"):
			return opListMultipartUploads, nil
		case q.get("list-type") == "2":
			return opListObjectsV2, nil
		case q.has("list-type"):
			return opNone, ErrInvalidArgument.Withf("Invalid list-type.")
		}
		return opListObjects, nil
	case "HEAD":
		return opHeadBucket, nil
	case "PUT":
		if q.has("acl") || q.has("versioning") {
			return opNone, ErrNotImplemented
		}
		return opCreateBucket, nil
	case "DELETE":
		return opDeleteBucket, nil
	case "POST":
		if q.has("delete") {
			return opDeleteObjects, nil
		}
		return opNone, ErrNotImplemented
	}
	return opNone, ErrMethodNotAllowed
}

func selectObjectOp(method string, q queryValues, copySource bool) (op, error) {
	switch method {
	case "GET":
		switch {
		case q.has("uploadId"):
			return opListParts, nil
		case q.has("acl"):
			return opGetObjectACL, nil
		}
		return opGetObject, nil
	case "HEAD":
		return opHeadObject, nil
	case "PUT":
		switch {
		case q.has("acl"):
			return opNone, ErrNotImplemented
		case q.has("uploadId") || q.has("partNumber"):
			if copySource {
				return opUploadPartCopy, nil
			}
			return opUploadPart, nil
		case copySource:
			return opCopyObject, nil
		}
		return opPutObject, nil
	case "DELETE":
		if q.has("uploadId") {
			return opAbortMultipartUpload, nil
		}
		return opDeleteObject, nil
	case "POST":
		switch {
		case q.has("uploads"):
			return opCreateMultipartUpload, nil
		case q.has("uploadId"):
			return opCompleteMultipartUpload, nil
		}
		return opNone, ErrNotImplemented
	}
	return opNone, ErrMethodNotAllowed
}
