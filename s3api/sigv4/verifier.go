package sigv4

import (
	"errors"
	"time"
)

// Defaults for Config fields left zero.
const (
	DefaultRegion               = "us-east-1"
	DefaultMaxClockSkew         = 15 * time.Minute
	DefaultMaxSignedChunkSize   = 16 << 20
	DefaultMaxUnsignedChunkSize = 5 << 30
	DefaultKeyCacheSize         = 1024
)

// Config configures a Verifier.
type Config struct {
	// Credentials resolves access keys. Required.
	Credentials CredentialsLookup

	// Regions lists the regions a credential scope may name. Empty means
	// just DefaultRegion.
	Regions []string

	// MaxClockSkew is how far a header-signed request's date may lie from
	// the server's clock, and how far in the future a presigned URL's date
	// may lie. Zero means DefaultMaxClockSkew.
	MaxClockSkew time.Duration

	// MaxSignedChunkSize bounds each chunk of a signed aws-chunked body.
	// Zero means DefaultMaxSignedChunkSize (16 MiB); real clients use 64 KiB
	// to 1 MiB.
	MaxSignedChunkSize int64

	// MaxUnsignedChunkSize bounds each chunk of an unsigned aws-chunked body
	// (STREAMING-UNSIGNED-PAYLOAD-TRAILER). Zero means
	// DefaultMaxUnsignedChunkSize (5 GiB): aws-sdk-go-v2 sends a body of
	// known length as one single chunk, so this must be as large as the
	// largest accepted upload. Decoding never buffers a chunk, so the limit
	// does not affect memory use.
	MaxUnsignedChunkSize int64

	// KeyCacheSize bounds the derived signing key cache. Zero means
	// DefaultKeyCacheSize; negative disables caching.
	KeyCacheSize int
}

// Verifier checks AWS Signature Version 4 on S3 requests. It is safe for
// concurrent use.
type Verifier struct {
	creds       CredentialsLookup
	regions     map[string]struct{}
	skew        time.Duration
	maxSigned   int64
	maxUnsigned int64
	keys        *keyCache
}

// NewVerifier returns a Verifier for cfg.
func NewVerifier(cfg Config) (*Verifier, error) {
	if cfg.Credentials == nil {
		return nil, errors.New("sigv4: Config.Credentials is required")
	}
	v := &Verifier{
		creds:       cfg.Credentials,
		regions:     make(map[string]struct{}),
		skew:        cfg.MaxClockSkew,
		maxSigned:   cfg.MaxSignedChunkSize,
		maxUnsigned: cfg.MaxUnsignedChunkSize,
	}
	regions := cfg.Regions
	if len(regions) == 0 {
		regions = []string{DefaultRegion}
	}
	for _, r := range regions {
		if r == "" {
			return nil, errors.New("sigv4: empty region in Config.Regions")
		}
		v.regions[r] = struct{}{}
	}
	if v.skew <= 0 {
		v.skew = DefaultMaxClockSkew
	}
	if v.maxSigned <= 0 {
		v.maxSigned = DefaultMaxSignedChunkSize
	}
	if v.maxUnsigned <= 0 {
		v.maxUnsigned = DefaultMaxUnsignedChunkSize
	}
	size := cfg.KeyCacheSize
	if size == 0 {
		size = DefaultKeyCacheSize
	}
	v.keys = newKeyCache(size)
	return v, nil
}
