package sigv4

import (
	"fmt"
	"strconv"
	"time"
)

// Presigned URL query parameters.
const (
	qAlgorithm     = "X-Amz-Algorithm"
	qCredential    = "X-Amz-Credential"
	qDate          = "X-Amz-Date"
	qExpires       = "X-Amz-Expires"
	qSignedHeaders = "X-Amz-SignedHeaders"
	qSignature     = "X-Amz-Signature"
	qSecurityToken = "X-Amz-Security-Token"
	qContentSHA256 = "X-Amz-Content-Sha256"

	// maxPresignExpires is one week, the longest S3 accepts.
	maxPresignExpires = 7 * 24 * time.Hour
)

// presignFields are the parsed X-Amz-* query parameters of a presigned URL.
type presignFields struct {
	authFields
	date          time.Time
	expires       time.Duration
	securityToken string
	hasToken      bool
	contentSHA256 string // empty: UNSIGNED-PAYLOAD
}

// isPresigned reports whether the query carries presign parameters.
func isPresigned(params []queryParam) bool {
	for _, p := range params {
		switch p.key {
		case qAlgorithm, qCredential, qSignature:
			return true
		}
	}
	return false
}

// isPresignedV2 reports whether the query looks like a Signature Version 2
// presigned URL.
func isPresignedV2(params []queryParam) bool {
	var ak, sig bool
	for _, p := range params {
		switch p.key {
		case "AWSAccessKeyId":
			ak = true
		case "Signature":
			sig = true
		}
	}
	return ak && sig
}

// parsePresign extracts and validates the presign parameters. Each must
// appear exactly once (X-Amz-Security-Token and X-Amz-Content-Sha256 at
// most once). Errors wrap ErrAuthorizationQueryParametersError, or
// ErrUnsupportedAuthorization for another algorithm.
func parsePresign(params []queryParam) (presignFields, error) {
	var pf presignFields
	got := map[string]string{}
	for _, p := range params {
		switch p.key {
		case qAlgorithm, qCredential, qDate, qExpires, qSignedHeaders, qSignature, qSecurityToken, qContentSHA256:
			if _, dup := got[p.key]; dup {
				return pf, fmt.Errorf("%w: %s repeated", ErrAuthorizationQueryParametersError, p.key)
			}
			got[p.key] = p.value
		}
	}
	for _, k := range []string{qAlgorithm, qCredential, qDate, qExpires, qSignedHeaders, qSignature} {
		if _, ok := got[k]; !ok {
			return pf, fmt.Errorf("%w: missing %s", ErrAuthorizationQueryParametersError, k)
		}
	}
	if alg := got[qAlgorithm]; alg != algorithm {
		return pf, fmt.Errorf("%w: X-Amz-Algorithm %q", ErrUnsupportedAuthorization, alg)
	}

	var err error
	pf.authFields, err = parseAuthFields(got[qCredential], got[qSignedHeaders], got[qSignature],
		ErrAuthorizationQueryParametersError)
	if err != nil {
		return pf, err
	}
	pf.date, err = time.Parse(iso8601Basic, got[qDate])
	if err != nil {
		return pf, fmt.Errorf("%w: X-Amz-Date %q is not YYYYMMDDTHHMMSSZ", ErrAuthorizationQueryParametersError, got[qDate])
	}
	secs, err := strconv.ParseInt(got[qExpires], 10, 64)
	if err != nil || secs < 1 || secs > int64(maxPresignExpires/time.Second) || got[qExpires][0] == '+' {
		return pf, fmt.Errorf("%w: X-Amz-Expires must be an integer from 1 to %d",
			ErrAuthorizationQueryParametersError, int(maxPresignExpires/time.Second))
	}
	pf.expires = time.Duration(secs) * time.Second
	pf.securityToken, pf.hasToken = got[qSecurityToken]
	pf.contentSHA256 = got[qContentSHA256]
	return pf, nil
}
