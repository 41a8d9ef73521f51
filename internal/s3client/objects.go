package s3client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// ObjectInfo describes an object, as a listing, a HEAD or a GET reports
// it.
type ObjectInfo struct {
	// Key is set by ListObjects only; the other operations were given it.
	Key string
	// Size is the object's size; for a GET of a Range, the size of the
	// part returned.
	Size int64
	// ETag is the entity tag as sent, with its quotes: "<hex MD5>" for an
	// object written by one PutObject. It is what If-Match takes.
	ETag string
	// LastModified is when the object was written (zero if the server did
	// not say).
	LastModified time.Time
}

// CreateBucket creates bucket in the client's region (no
// LocationConstraint is sent). If the bucket exists and is the caller's,
// the error has code "BucketAlreadyOwnedByYou".
func (c *Client) CreateBucket(ctx context.Context, bucket string) error {
	resp, err := c.do(ctx, request{op: "CreateBucket", method: http.MethodPut, bucket: bucket})
	if err != nil {
		return err
	}
	drain(resp.Body)
	return nil
}

// PutObject stores size bytes read from body as bucket/key and returns
// the new object's ETag. The body is streamed to the server as it is
// read, never buffered; it must yield exactly size bytes. h holds extra
// request headers, such as If-None-Match: *, If-Match, Content-Type,
// x-amz-meta-* or X-Mapstore-Consistency; it may be nil.
func (c *Client) PutObject(ctx context.Context, bucket, key string, body io.Reader, size int64, h http.Header) (string, error) {
	if size < 0 {
		return "", errors.New("PutObject: negative size")
	}
	rq := request{op: "PutObject", method: http.MethodPut, bucket: bucket, key: key, header: h, body: body, size: size}
	resp, err := c.do(ctx, rq)
	if err != nil {
		return "", err
	}
	drain(resp.Body)
	return resp.Header.Get("ETag"), nil
}

// GetObject opens bucket/key. The caller reads the returned body and must
// close it; reading it to the end lets the connection be reused. h holds
// extra request headers (Range, If-Match, If-None-Match,
// X-Mapstore-Consistency, ...); it may be nil. A failed precondition is
// an error (see IsPreconditionFailed and IsNotModified).
func (c *Client) GetObject(ctx context.Context, bucket, key string, h http.Header) (io.ReadCloser, ObjectInfo, error) {
	resp, err := c.do(ctx, request{op: "GetObject", method: http.MethodGet, bucket: bucket, key: key, header: h})
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	return resp.Body, objectInfo(resp), nil
}

// HeadObject returns what a GET of bucket/key with headers h would say
// about the object, without its body.
func (c *Client) HeadObject(ctx context.Context, bucket, key string, h http.Header) (ObjectInfo, error) {
	resp, err := c.do(ctx, request{op: "HeadObject", method: http.MethodHead, bucket: bucket, key: key, header: h})
	if err != nil {
		return ObjectInfo{}, err
	}
	drain(resp.Body)
	return objectInfo(resp), nil
}

// DeleteObject deletes bucket/key. As in S3, deleting a key that does
// not exist succeeds.
func (c *Client) DeleteObject(ctx context.Context, bucket, key string) error {
	resp, err := c.do(ctx, request{op: "DeleteObject", method: http.MethodDelete, bucket: bucket, key: key})
	if err != nil {
		return err
	}
	drain(resp.Body)
	return nil
}

// objectInfo reads an object's description from the headers of a GET or
// HEAD answer.
func objectInfo(resp *http.Response) ObjectInfo {
	info := ObjectInfo{Size: resp.ContentLength, ETag: resp.Header.Get("ETag")}
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		info.LastModified = t
	}
	return info
}
