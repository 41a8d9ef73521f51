package sigv4

import (
	"reflect"
	"testing"
)

func TestParseAuthorization(t *testing.T) {
	const sig = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
	want := authFields{
		accessKeyID:   "AKIAIOSFODNN7EXAMPLE",
		scope:         scope{"20130524", "us-east-1", "s3"},
		signedHeaders: []string{"host", "range", "x-amz-date"},
		signature:     sig,
	}
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-date,Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, Signature=" + sig,
		"AWS4-HMAC-SHA256  Signature=" + sig + " , Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-date",
	} {
		got, err := parseAuthorization(s)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("parse(%q) = %+v, %v", s, got, err)
		}
	}

	// Access keys may contain "/"; the scope is the last four fields.
	got, err := parseAuthorization("AWS4-HMAC-SHA256 Credential=a/b/c/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + sig)
	if err != nil || got.accessKeyID != "a/b/c" {
		t.Errorf("slash key: %+v %v", got, err)
	}

	for _, s := range []string{
		"",
		"AWS4-HMAC-SHA256",
		"AWS4-HMAC-SHA256 ",
		"Bearer token",
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host",
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + sig + ",",
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + sig + ",Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + sig + ",Extra=1",
		"AWS4-HMAC-SHA256 credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3,SignedHeaders=host,Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AK/2013-05-24/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AK/20130524//s3/aws4_request,SignedHeaders=host,Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/iam/aws4_request,SignedHeaders=host,Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_requests,SignedHeaders=host,Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=x-amz-date,Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;Range,Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;host,Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;,Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + sig[:63],
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + sig[:63] + "G",
	} {
		if _, err := parseAuthorization(s); !errorsIs(err, ErrAuthorizationHeaderMalformed) {
			t.Errorf("parse(%q) = %v, want malformed", s, err)
		}
	}
	for _, s := range []string{
		"AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
		"AWS4-ECDSA-P256-SHA256 Credential=AK/20130524/s3/aws4_request, SignedHeaders=host, Signature=30",
	} {
		if _, err := parseAuthorization(s); !errorsIs(err, ErrUnsupportedAuthorization) {
			t.Errorf("parse(%q) = %v, want unsupported", s, err)
		}
	}
}
