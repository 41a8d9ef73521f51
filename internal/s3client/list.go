package s3client

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// ListObjects returns one page of the keys of bucket that begin with
// prefix and sort after startAfter, in key order, at most maxKeys of them
// (the server's own limit, 1000, if maxKeys <= 0), and whether more follow.
// To list everything, call it again with startAfter set to the last key
// returned until truncated is false.
func (c *Client) ListObjects(ctx context.Context, bucket, prefix, startAfter string, maxKeys int) (objects []ObjectInfo, truncated bool, err error) {
	q := url.Values{"list-type": {"2"}}
	if prefix != "" {
		q.Set("prefix", prefix)
	}
	if startAfter != "" {
		q.Set("start-after", startAfter)
	}
	if maxKeys > 0 {
		q.Set("max-keys", strconv.Itoa(maxKeys))
	}
	rq := request{op: "ListObjects", method: http.MethodGet, bucket: bucket, query: q}
	resp, err := c.do(ctx, rq)
	if err != nil {
		return nil, false, err
	}
	defer drain(resp.Body)
	var res struct {
		IsTruncated bool
		Contents    []struct {
			Key          string
			LastModified string
			ETag         string
			Size         int64
		}
	}
	if err := xml.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&res); err != nil {
		return nil, false, rq.wrap(fmt.Errorf("reading the listing: %w", err))
	}
	objects = make([]ObjectInfo, len(res.Contents))
	for i, o := range res.Contents {
		objects[i] = ObjectInfo{Key: o.Key, Size: o.Size, ETag: o.ETag}
		if t, err := time.Parse(time.RFC3339Nano, o.LastModified); err == nil {
			objects[i].LastModified = t
		}
	}
	return objects, res.IsTruncated, nil
}
