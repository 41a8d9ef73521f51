package s3api

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"mapstore/s3api/sigv4"
)

// Defaults for Options fields left zero.
const (
	DefaultRegion              = sigv4.DefaultRegion
	DefaultMaxObjectSize       = 5 << 30
	DefaultMaxUserMetadataSize = 2 << 10
	DefaultMaxHeaderBytes      = 8 << 10
	DefaultMaxXMLBodySize      = 4 << 20
	DefaultDeleteConcurrency   = 8
	DefaultBodyIdleTimeout     = time.Minute
	DefaultOwnerID             = "mapstore"
)

// Options configure a Server. The zero value of every field but Backend
// and Auth.Credentials is a documented default; EnsureDefaults fills them
// in, Validate checks what cannot be defaulted.
type Options struct {
	// Backend stores buckets and objects. Required.
	Backend Backend

	// Auth configures SigV4 verification. Auth.Credentials is required.
	// Auth.Regions defaults to []string{Region}.
	Auth sigv4.Config

	// Region is the region the server is in: what GetBucketLocation and
	// HeadBucket report and which CreateBucket's LocationConstraint must
	// name. Default DefaultRegion ("us-east-1").
	Region string

	// BaseDomains enable virtual-hosted-style addressing: a request to
	// host "<bucket>.<base>" for a base in this list names that bucket.
	// Lower-case, without port. Default none (path style only).
	BaseDomains []string

	// Logger receives one record per request and server errors. Default:
	// logs are discarded.
	Logger *slog.Logger

	// Owner is reported as owner of buckets and objects (ListBuckets,
	// fetch-owner, ACLs). Default ID and DisplayName DefaultOwnerID.
	Owner Owner

	// Observer, if not nil, is told about every finished request: its
	// operation, status, bytes in and out and duration (for metrics).
	// Default nil.
	Observer Observer

	// Now is the clock used to check request times. Default time.Now.
	Now func() time.Time

	// Limits bound requests.
	Limits Limits
}

// Owner identifies the (single) owner of everything in the store.
type Owner struct {
	ID, DisplayName string
}

// Limits bound what a request may carry. Zero fields get the defaults.
type Limits struct {
	// MaxObjectSize bounds a single PutObject and each UploadPart
	// (EntityTooLarge). Default DefaultMaxObjectSize (5 GiB), as S3.
	MaxObjectSize int64
	// MaxUserMetadataSize bounds the x-amz-meta-* names and values of a
	// write (MetadataTooLarge). Default 2 KiB, as S3.
	MaxUserMetadataSize int
	// MaxHeaderBytes bounds the request headers, names and values
	// (RequestHeaderSectionTooLarge). NewHTTPServer also sets
	// http.Server.MaxHeaderBytes from it. Default 8 KiB, as S3.
	MaxHeaderBytes int
	// MaxXMLBodySize bounds XML request bodies (CompleteMultipartUpload of
	// 10000 parts needs about 1.5 MiB). Default 4 MiB.
	MaxXMLBodySize int64
	// DeleteConcurrency is how many deletes of one DeleteObjects request
	// run at the same time. Default 8.
	DeleteConcurrency int
	// BodyIdleTimeout is how long a request body may go without a byte
	// arriving (RequestTimeout, nothing stored) and a response body
	// without the client taking one (the connection is closed, releasing
	// the snapshot being read). Negative disables. Default 1 min.
	BodyIdleTimeout time.Duration
}

// EnsureDefaults fills in the defaults of zero fields and returns o.
func (o *Options) EnsureDefaults() *Options {
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if len(o.Auth.Regions) == 0 {
		o.Auth.Regions = []string{o.Region}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Owner.ID == "" {
		o.Owner.ID = DefaultOwnerID
	}
	if o.Owner.DisplayName == "" {
		o.Owner.DisplayName = o.Owner.ID
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	l := &o.Limits
	if l.MaxObjectSize <= 0 {
		l.MaxObjectSize = DefaultMaxObjectSize
	}
	if l.MaxUserMetadataSize <= 0 {
		l.MaxUserMetadataSize = DefaultMaxUserMetadataSize
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.MaxXMLBodySize <= 0 {
		l.MaxXMLBodySize = DefaultMaxXMLBodySize
	}
	if l.DeleteConcurrency <= 0 {
		l.DeleteConcurrency = DefaultDeleteConcurrency
	}
	if l.BodyIdleTimeout == 0 {
		l.BodyIdleTimeout = DefaultBodyIdleTimeout
	}
	return o
}

// Validate reports what is missing or inconsistent.
func (o *Options) Validate() error {
	var errs []error
	if o.Backend == nil {
		errs = append(errs, errors.New("s3api: Options.Backend is required"))
	}
	if o.Auth.Credentials == nil {
		errs = append(errs, errors.New("s3api: Options.Auth.Credentials is required"))
	}
	for _, d := range o.BaseDomains {
		if d == "" || d != strings.ToLower(d) || strings.ContainsAny(d, ":/") || strings.HasPrefix(d, ".") {
			errs = append(errs, fmt.Errorf("s3api: base domain %q must be a lower-case host name without port", d))
		}
	}
	return errors.Join(errs...)
}
