package sigv4

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestS3Code(t *testing.T) {
	cases := []struct {
		err    error
		code   string
		status int
	}{
		{nil, "", 200},
		{ErrAccessDenied, "AccessDenied", 403},
		{ErrMissingAuth, "AccessDenied", 403},
		{ErrRequestExpired, "AccessDenied", 403},
		{ErrRequestNotYetValid, "AccessDenied", 403},
		{ErrMissingDate, "AccessDenied", 403},
		{ErrSignatureDoesNotMatch, "SignatureDoesNotMatch", 403},
		{ErrChunkSignatureMismatch, "SignatureDoesNotMatch", 403},
		{ErrTrailerSignatureMismatch, "SignatureDoesNotMatch", 403},
		{&SignatureError{}, "SignatureDoesNotMatch", 403},
		{ErrInvalidAccessKeyID, "InvalidAccessKeyId", 403},
		{ErrRequestTimeTooSkewed, "RequestTimeTooSkewed", 403},
		{ErrAuthorizationHeaderMalformed, "AuthorizationHeaderMalformed", 400},
		{ErrAuthorizationQueryParametersError, "AuthorizationQueryParametersError", 400},
		{ErrUnsupportedAuthorization, "InvalidRequest", 400},
		{ErrInvalidToken, "InvalidToken", 400},
		{ErrInvalidArgument, "InvalidArgument", 400},
		{ErrInvalidContentSHA256, "InvalidArgument", 400},
		{ErrMissingContentSHA256, "MissingSecurityHeader", 400},
		{ErrContentSHA256Mismatch, "XAmzContentSHA256Mismatch", 400},
		{ErrBadDigest, "BadDigest", 400},
		{ErrInvalidDigest, "InvalidDigest", 400},
		{ErrChecksumMismatch, "BadDigest", 400},
		{ErrInvalidChecksum, "InvalidRequest", 400},
		{ErrIncompleteBody, "IncompleteBody", 400},
		{ErrDecodedLengthMismatch, "IncompleteBody", 400},
		{ErrMalformedChunk, "InvalidRequest", 400},
		{ErrChunkTooLarge, "InvalidRequest", 400},
		{ErrMalformedTrailer, "MalformedTrailerError", 400},
		{fmt.Errorf("context: %w", ErrChunkSignatureMismatch), "SignatureDoesNotMatch", 403},
		{errors.New("disk on fire"), "InternalError", 500},
	}
	for _, c := range cases {
		code, status := S3Code(c.err)
		if code != c.code || status != c.status {
			t.Errorf("S3Code(%v) = %s %d, want %s %d", c.err, code, status, c.code, c.status)
		}
	}
}

func TestSentinelChains(t *testing.T) {
	for _, c := range []struct{ specific, general error }{
		{ErrMissingAuth, ErrAccessDenied},
		{ErrRequestExpired, ErrAccessDenied},
		{ErrChunkSignatureMismatch, ErrSignatureDoesNotMatch},
		{ErrTrailerSignatureMismatch, ErrSignatureDoesNotMatch},
		{&SignatureError{}, ErrSignatureDoesNotMatch},
		{ErrChunkTooLarge, ErrMalformedChunk},
		{ErrDecodedLengthMismatch, ErrIncompleteBody},
		{ErrInvalidContentSHA256, ErrInvalidArgument},
	} {
		if !errors.Is(c.specific, c.general) {
			t.Errorf("%v is not %v", c.specific, c.general)
		}
		if errors.Is(c.general, c.specific) {
			t.Errorf("%v is %v", c.general, c.specific)
		}
	}
	if errors.Is(ErrChecksumMismatch, ErrBadDigest) || errors.Is(ErrBadDigest, ErrChecksumMismatch) {
		t.Error("checksum and Content-MD5 mismatches must be distinguishable")
	}
}

// A failing credentials store is an internal error, not an auth failure.
func TestLookupFailure(t *testing.T) {
	boom := errors.New("store unavailable")
	v, err := NewVerifier(Config{Credentials: CredentialsFunc(func(context.Context, string) (Credentials, error) {
		return Credentials{}, boom
	})})
	if err != nil {
		t.Fatal(err)
	}
	r := signedGet(t, "/b/k")
	_, err = v.Verify(r, testNow)
	if !errors.Is(err, boom) {
		t.Fatalf("error = %v", err)
	}
	if code, status := S3Code(err); code != "InternalError" || status != http.StatusInternalServerError {
		t.Errorf("S3Code = %s %d", code, status)
	}

	v, _ = NewVerifier(Config{Credentials: StaticCredentials{testAK: {}}})
	_, err = v.Verify(signedGet(t, "/b/k"), testNow)
	wantErr(t, err, ErrInvalidAccessKeyID)
}

func TestNewVerifierConfig(t *testing.T) {
	if _, err := NewVerifier(Config{}); err == nil {
		t.Error("missing credentials accepted")
	}
	if _, err := NewVerifier(Config{Credentials: testCredentials(), Regions: []string{""}}); err == nil {
		t.Error("empty region accepted")
	}
	v, err := NewVerifier(Config{Credentials: testCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := v.regions[DefaultRegion]; !ok || len(v.regions) != 1 {
		t.Errorf("regions = %v", v.regions)
	}
}
