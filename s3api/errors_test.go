package s3api

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"mapstore/s3api/sigv4"
)

func TestAsError(t *testing.T) {
	bodyErr := fmt.Errorf("%w: x-amz-checksum-crc32", sigv4.ErrChecksumMismatch)
	for _, tc := range []struct {
		err    error
		code   string
		status int
		msg    string // substring
	}{
		{ErrNoSuchKey, "NoSuchKey", 404, "does not exist"},
		{fmt.Errorf("store: %w", ErrBucketNotEmpty), "BucketNotEmpty", 409, "not empty"},
		{ErrNoSuchUpload.With(errors.New("cause")), "NoSuchUpload", 404, "multipart upload"},
		{fmt.Errorf("backend: reading body: %w", bodyErr), "BadDigest", 400, "The checksum you specified did not match the calculated checksum: x-amz-checksum-crc32."},
		{ErrInternal.With(fmt.Errorf("reading: %w", sigv4.ErrIncompleteBody)), "IncompleteBody", 400, "You did not provide"},
		{sigv4.ErrMissingAuth, "AccessDenied", 403, "Request is not signed."},
		{&sigv4.SignatureError{StringToSign: "sts"}, "SignatureDoesNotMatch", 403, "does not match"},
		{fmt.Errorf("copy: %w", io.ErrUnexpectedEOF), "IncompleteBody", 400, ""},
		{errors.New("disk on fire"), "InternalError", 500, "internal error"},
	} {
		e := AsError(tc.err)
		if e.Code != tc.code || e.Status != tc.status || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("AsError(%v) = %s %d %q", tc.err, e.Code, e.Status, e.Message)
		}
		if !errors.Is(e, &Error{Code: tc.code}) {
			t.Errorf("errors.Is(%v, code %s) false", e, tc.code)
		}
	}
	if e := AsError(&sigv4.SignatureError{StringToSign: "sts", CanonicalRequest: "cr"}); e.Extra["StringToSign"] != "sts" || e.Extra["CanonicalRequest"] != "cr" {
		t.Errorf("SignatureDoesNotMatch extra %v", e.Extra)
	}
	if !errors.Is(fmt.Errorf("x: %w", ErrNoSuchKey.Withf("other message")), ErrNoSuchKey) {
		t.Error("errors.Is does not match a refined message")
	}
}
