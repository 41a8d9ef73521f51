package sigv4

import (
	"context"
	"fmt"
)

// Credentials are the secrets behind one access key.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken, if not empty, must be presented by every request signed
	// with these credentials (X-Amz-Security-Token). If empty, requests that
	// carry a security token are rejected with ErrInvalidToken.
	SessionToken string
}

// CredentialsLookup resolves an access key ID to its credentials.
//
// For an unknown key it must return an error wrapping ErrInvalidAccessKeyID.
// Any other error is passed through Verify wrapped and unchanged in meaning
// (S3Code maps it to InternalError). Implementations must be safe for
// concurrent use.
type CredentialsLookup interface {
	LookupCredentials(ctx context.Context, accessKeyID string) (Credentials, error)
}

// CredentialsFunc adapts a function to CredentialsLookup.
type CredentialsFunc func(ctx context.Context, accessKeyID string) (Credentials, error)

// LookupCredentials calls f.
func (f CredentialsFunc) LookupCredentials(ctx context.Context, accessKeyID string) (Credentials, error) {
	return f(ctx, accessKeyID)
}

// StaticCredentials is a fixed CredentialsLookup keyed by access key ID. It
// must not be modified while in use.
type StaticCredentials map[string]Credentials

// LookupCredentials returns the entry for accessKeyID or an error wrapping
// ErrInvalidAccessKeyID.
func (s StaticCredentials) LookupCredentials(_ context.Context, accessKeyID string) (Credentials, error) {
	c, ok := s[accessKeyID]
	if !ok {
		return Credentials{}, fmt.Errorf("%w: %q", ErrInvalidAccessKeyID, accessKeyID)
	}
	if c.AccessKeyID == "" {
		c.AccessKeyID = accessKeyID
	}
	return c, nil
}
