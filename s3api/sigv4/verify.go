package sigv4

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Verify authenticates r, signed either with an Authorization header or as
// a presigned URL, at server time now.
//
// On success the returned Result's Body must be read instead of r.Body: it
// strips aws-chunked framing and verifies the payload while streaming (see
// Body). On failure the error wraps one of this package's sentinels;
// S3Code gives the S3 error code and HTTP status. A request with neither
// form of authentication fails with ErrMissingAuth.
//
// Checks, in order: the credential scope (date matching the request date,
// an accepted region, service "s3"); the request time (within MaxClockSkew
// of now for header auth; for presigned URLs not after X-Amz-Date +
// X-Amz-Expires and not before X-Amz-Date - MaxClockSkew); the access key;
// the security token; the signature over the canonical request; then the
// syntax of Content-MD5, x-amz-checksum-*, x-amz-trailer and
// x-amz-decoded-content-length.
//
// X-Amz-Security-Token is accepted only if the looked-up Credentials carry
// an equal SessionToken, and required if they carry one.
//
// A header-signed request must carry x-amz-content-sha256 unless it has no
// body (Content-Length 0), in which case the payload hash is that of the
// empty string. A presigned URL's payload hash is its
// X-Amz-Content-Sha256 query parameter, or UNSIGNED-PAYLOAD; streaming
// payloads need header authentication.
//
// x-amz-checksum-* headers are verified against the body, except on
// CompleteMultipartUpload (POST with an uploadId query parameter), where
// they describe the assembled object rather than the request body.
func (v *Verifier) Verify(r *http.Request, now time.Time) (*Result, error) {
	params, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	authz := r.Header.Values("Authorization")
	presigned := isPresigned(params)
	switch {
	case len(authz) > 0 && presigned:
		return nil, fmt.Errorf("%w: only one auth mechanism allowed", ErrInvalidArgument)
	case len(authz) > 1:
		return nil, fmt.Errorf("%w: repeated Authorization header", ErrAuthorizationHeaderMalformed)
	case len(authz) == 1:
		return v.verifyHeader(r, authz[0], params, now)
	case presigned:
		return v.verifyPresigned(r, params, now)
	case isPresignedV2(params):
		return nil, fmt.Errorf("%w: signature version 2 presigned URL", ErrUnsupportedAuthorization)
	}
	return nil, ErrMissingAuth
}

// signedRequest is what both authentication forms reduce to.
type signedRequest struct {
	authFields
	presigned   bool
	date        time.Time
	expires     time.Time
	payloadHash string // as it appears in the canonical request
	mode        PayloadMode
	digest      []byte // PayloadSHA256 only
}

func (v *Verifier) verifyHeader(r *http.Request, authz string, params []queryParam, now time.Time) (*Result, error) {
	af, err := parseAuthorization(authz)
	if err != nil {
		return nil, err
	}
	date, err := requestDate(r.Header)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(af.scope, date, ErrAuthorizationHeaderMalformed); err != nil {
		return nil, err
	}
	if d := now.Sub(date); d > v.skew || d < -v.skew {
		return nil, fmt.Errorf("%w: request time %s, server time %s",
			ErrRequestTimeTooSkewed, date.Format(iso8601Basic), now.UTC().Format(iso8601Basic))
	}
	creds, err := v.lookup(r, af.accessKeyID)
	if err != nil {
		return nil, err
	}
	tokens := r.Header.Values("X-Amz-Security-Token")
	if len(tokens) > 1 {
		return nil, fmt.Errorf("%w: repeated X-Amz-Security-Token", ErrInvalidToken)
	}
	if err := checkToken(creds, tokens); err != nil {
		return nil, err
	}

	sr := signedRequest{authFields: af, date: date}
	hashes := r.Header.Values("X-Amz-Content-Sha256")
	switch {
	case len(hashes) > 1:
		return nil, fmt.Errorf("%w: repeated header", ErrInvalidContentSHA256)
	case len(hashes) == 1:
		sr.payloadHash = hashes[0]
	case r.ContentLength == 0:
		// Without the header a client signs hex(SHA256(body)), which for
		// a request without a body is the digest of nothing.
		sr.payloadHash = emptySHA256
	default:
		return nil, ErrMissingContentSHA256
	}
	if sr.mode, sr.digest, err = parsePayloadHash(sr.payloadHash); err != nil {
		return nil, err
	}
	return v.finish(r, params, creds, sr, "")
}

func (v *Verifier) verifyPresigned(r *http.Request, params []queryParam, now time.Time) (*Result, error) {
	pf, err := parsePresign(params)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(pf.scope, pf.date, ErrAuthorizationQueryParametersError); err != nil {
		return nil, err
	}
	if pf.date.Sub(now) > v.skew {
		return nil, fmt.Errorf("%w: X-Amz-Date %s", ErrRequestNotYetValid, pf.date.Format(iso8601Basic))
	}
	expires := pf.date.Add(pf.expires)
	if now.After(expires) {
		return nil, fmt.Errorf("%w: expired at %s", ErrRequestExpired, expires.Format(iso8601Basic))
	}
	creds, err := v.lookup(r, pf.accessKeyID)
	if err != nil {
		return nil, err
	}
	var tokens []string
	if pf.hasToken {
		tokens = []string{pf.securityToken}
	}
	if err := checkToken(creds, tokens); err != nil {
		return nil, err
	}

	sr := signedRequest{authFields: pf.authFields, presigned: true, date: pf.date, expires: expires}
	sr.payloadHash = pf.contentSHA256
	if sr.payloadHash == "" {
		sr.payloadHash = unsignedPayload
	}
	if sr.mode, sr.digest, err = parsePayloadHash(sr.payloadHash); err != nil {
		return nil, err
	}
	if sr.mode.Chunked() {
		return nil, fmt.Errorf("%w: streaming payloads need an Authorization header", ErrInvalidContentSHA256)
	}
	return v.finish(r, params, creds, sr, qSignature)
}

// finish checks the signature and prepares the verifying body.
func (v *Verifier) finish(r *http.Request, params []queryParam, creds Credentials, sr signedRequest, skipParam string) (*Result, error) {
	key := v.keys.signingKey(creds, sr.scope)
	timestamp := sr.date.UTC().Format(iso8601Basic)

	query := canonicalQuery(params, skipParam)
	headers := canonicalHeaders(r, sr.signedHeaders)
	var mismatch *SignatureError
	for _, uri := range canonicalPaths(r) {
		cr := canonicalRequest(r.Method, uri, query, headers, sr.signedHeaders, sr.payloadHash)
		sts := stringToSign(timestamp, sr.scope, cr)
		if signaturesEqual(signHex(key, sts), sr.signature) {
			mismatch = nil
			break
		}
		if mismatch == nil {
			mismatch = &SignatureError{CanonicalRequest: cr, StringToSign: sts, SignatureProvided: sr.signature}
		}
	}
	if mismatch != nil {
		return nil, mismatch
	}

	spec, err := v.bodySpec(r, params, sr)
	if err != nil {
		return nil, err
	}
	if sr.mode == PayloadStreamingSigned || sr.mode == PayloadStreamingSignedTrailer {
		spec.chunked.signer = newChainSigner(key, timestamp, sr.scope, sr.signature)
	}

	res := &Result{
		AccessKeyID:          creds.AccessKeyID,
		Region:               sr.scope.region,
		SignedAt:             sr.date,
		Presigned:            sr.presigned,
		Expires:              sr.expires,
		SignedHeaders:        sr.signedHeaders,
		Payload:              sr.mode,
		DecodedContentLength: r.ContentLength,
		ContentEncoding:      strings.Join(r.Header.Values("Content-Encoding"), ","),
		Body:                 newBody(r.Body, spec),
	}
	if sr.mode.Chunked() {
		res.DecodedContentLength = spec.chunked.decodedLength
		res.ContentEncoding = withoutAWSChunked(r.Header.Values("Content-Encoding"))
	}
	return res, nil
}
