package s3test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func testAuth(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	h.put(t, b, "k", []byte("secret"))

	// Anonymous requests are denied, whatever they ask for.
	for _, rr := range []rawRequest{
		{method: "GET", path: "/" + b + "/k"},
		{method: "GET", path: "/"},
		{method: "PUT", path: "/" + b + "/k", body: []byte("overwrite")},
		{method: "DELETE", path: "/" + b + "/k"},
		{method: "GET", path: "/" + b + "/k", query: "acl"},
	} {
		rr.anonymous = true
		h.do(t, rr).wantError(t, http.StatusForbidden, "AccessDenied")
	}
	got, _ := h.get(t, b, "k")
	if string(got) != "secret" {
		t.Fatalf("object changed by anonymous requests: %q", got)
	}

	_, err := h.awsClientWith(AccessKey, "wrong-secret").GetObject(c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	wantCode(t, err, "SignatureDoesNotMatch", http.StatusForbidden)
	_, err = h.awsClientWith("AKIAUNKNOWN000000000", SecretKey).PutObject(c, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: bytes.NewReader([]byte("x"))})
	wantCode(t, err, "InvalidAccessKeyId", http.StatusForbidden)
	h.wantMissing(t, b, "nothing-here")
}
