package s3client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"mapstore/s3api/sigv4"
)

// Defaults of Options and of the default transport.
const (
	// DefaultRegion is the region requests are signed for when
	// Options.Region is empty.
	DefaultRegion = "us-east-1"
	// MaxIdleConnsPerHost is how many idle connections to one host the
	// default transport keeps for reuse: more than 256 concurrent callers
	// need at once.
	MaxIdleConnsPerHost = 512
	// bufferSize is the default transport's read and write buffer per
	// connection; larger than net/http's 4 KiB, so that large bodies move
	// in fewer system calls.
	bufferSize = 64 << 10
)

// unsignedPayload is the x-amz-content-sha256 value of a body the
// signature does not cover.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// Options configure New. Endpoint, AccessKey and SecretKey are required.
type Options struct {
	// Endpoint is the server's base URL, "http://host:port" or
	// "https://host", optionally with a path prefix. Buckets are
	// addressed path style below it.
	Endpoint string
	// AccessKey and SecretKey sign every request.
	AccessKey, SecretKey string
	// Region is the region requests are signed for. Default DefaultRegion.
	Region string
	// HTTPClient sends the requests. Default: a client of its own with a
	// transport tuned for many concurrent requests to one host (see the
	// package documentation). Redirects should not be followed: a signed
	// request is valid for its own URL only.
	HTTPClient *http.Client
}

// Client sends signed S3 requests to one endpoint. It is safe for
// concurrent use.
type Client struct {
	base   string // endpoint without a trailing slash
	region string
	creds  aws.Credentials
	signer *v4.Signer
	http   *http.Client
}

// New returns a client for opts.Endpoint.
func New(opts Options) (*Client, error) {
	u, err := url.Parse(opts.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("s3client: endpoint %q: %w", opts.Endpoint, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("s3client: endpoint %q: want http://host:port or https://host", opts.Endpoint)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("s3client: endpoint %q: want no query, fragment or user information", opts.Endpoint)
	}
	if opts.AccessKey == "" || opts.SecretKey == "" {
		return nil, errors.New("s3client: an access key and a secret key are required")
	}
	c := &Client{
		base:   strings.TrimSuffix(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"),
		region: opts.Region,
		creds:  aws.Credentials{AccessKeyID: opts.AccessKey, SecretAccessKey: opts.SecretKey, Source: "s3client"},
		// S3 signs the path as sent: the signer must not encode it again.
		signer: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }),
		http:   opts.HTTPClient,
	}
	if c.region == "" {
		c.region = DefaultRegion
	}
	if c.http == nil {
		c.http = NewHTTPClient()
	}
	return c, nil
}

// NewHTTPClient returns the HTTP client New uses by default: HTTP/1.1
// with MaxIdleConnsPerHost idle connections per host, 64 KiB connection
// buffers, no compression, no proxy, and redirects returned to the caller
// rather than followed (a signed request cannot be replayed elsewhere).
// Clients for several endpoints may share one.
func NewHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         dialer.DialContext,
			MaxIdleConns:        0, // no limit over all hosts
			MaxIdleConnsPerHost: MaxIdleConnsPerHost,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
			DisableCompression:  true,
			WriteBufferSize:     bufferSize,
			ReadBufferSize:      bufferSize,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// request is one S3 request to build, sign and send.
type request struct {
	op          string // for error messages: "PutObject"
	method      string
	bucket, key string
	query       url.Values
	header      http.Header // extra headers, copied onto the request
	body        io.Reader
	size        int64 // of body
}

// do signs and sends rq. A 2xx response is returned with its body open,
// for the caller to read and close; anything else is read, closed and
// returned as an error wrapping a *ResponseError.
func (c *Client) do(ctx context.Context, rq request) (*http.Response, error) {
	req, err := c.newRequest(ctx, rq)
	if err != nil {
		return nil, rq.wrap(err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, rq.wrap(err)
	}
	if resp.StatusCode/100 != 2 {
		rerr := readError(resp)
		resp.Body.Close()
		return nil, rq.wrap(rerr)
	}
	return resp, nil
}

// newRequest builds rq's HTTP request and signs it.
func (c *Client) newRequest(ctx context.Context, rq request) (*http.Request, error) {
	target := c.base + "/" + sigv4.EncodePath(rq.bucket)
	if rq.key != "" {
		target += "/" + sigv4.EncodePath(rq.key)
	}
	if len(rq.query) > 0 {
		target += "?" + rq.query.Encode() // the signer puts it in canonical form
	}
	body := rq.body
	if rq.size == 0 || body == nil {
		body = http.NoBody // a zero length with a body would mean "unknown"
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, target, body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = rq.size
	if body == http.NoBody {
		req.ContentLength = 0
	}
	for k, vs := range rq.header {
		// A copy: signing may rewrite values in place.
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	req.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
	if err := c.signer.SignHTTP(ctx, c.creds, req, unsignedPayload, "s3", c.region, time.Now()); err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return req, nil
}

// wrap adds the operation and its object to err.
func (rq request) wrap(err error) error {
	name := rq.bucket
	if rq.key != "" {
		name += "/" + rq.key
	}
	return fmt.Errorf("%s %s: %w", rq.op, name, err)
}

// drain reads what is left of a response body, up to a limit, and closes
// it, so that the connection can be reused for the next request.
func drain(body io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(body, 256<<10))
	body.Close()
}
