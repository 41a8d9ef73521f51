package s3test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func testBuckets(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)

	_, err := h.aws.CreateBucket(c, &s3.CreateBucketInput{Bucket: aws.String(b)})
	wantCode(t, err, "BucketAlreadyOwnedByYou", 409)

	_, err = h.aws.HeadBucket(c, &s3.HeadBucketInput{Bucket: aws.String(b)})
	check(t, err, "HeadBucket")
	_, err = h.aws.HeadBucket(c, &s3.HeadBucketInput{Bucket: aws.String("s3test-never-created")})
	wantCode(t, err, "", 404)

	list, err := h.aws.ListBuckets(c, &s3.ListBucketsInput{})
	check(t, err, "ListBuckets")
	found := false
	for i, lb := range list.Buckets {
		if str(lb.Name) == b {
			found = lb.CreationDate != nil && !lb.CreationDate.IsZero()
		}
		if i > 0 && str(list.Buckets[i-1].Name) >= str(lb.Name) {
			t.Errorf("ListBuckets not sorted: %s before %s", str(list.Buckets[i-1].Name), str(lb.Name))
		}
	}
	if !found || list.Owner == nil || str(list.Owner.ID) == "" {
		t.Fatalf("ListBuckets: bucket %s with creation date found %v, owner %+v", b, found, list.Owner)
	}

	loc, err := h.aws.GetBucketLocation(c, &s3.GetBucketLocationInput{Bucket: aws.String(b)})
	check(t, err, "GetBucketLocation")
	if loc.LocationConstraint != "" {
		t.Errorf("GetBucketLocation = %q, want \"\" (us-east-1)", loc.LocationConstraint)
	}
	_, err = h.aws.GetBucketLocation(c, &s3.GetBucketLocationInput{Bucket: aws.String("s3test-never-created")})
	wantCode(t, err, "NoSuchBucket", 404)

	ver, err := h.aws.GetBucketVersioning(c, &s3.GetBucketVersioningInput{Bucket: aws.String(b)})
	check(t, err, "GetBucketVersioning")
	if ver.Status != "" {
		t.Errorf("versioning status %q", ver.Status)
	}
	acl, err := h.aws.GetBucketAcl(c, &s3.GetBucketAclInput{Bucket: aws.String(b)})
	check(t, err, "GetBucketAcl")
	if len(acl.Grants) != 1 || acl.Grants[0].Permission != types.PermissionFullControl {
		t.Errorf("GetBucketAcl grants %+v", acl.Grants)
	}

	// A bucket with an object or an upload in progress is not empty.
	h.put(t, b, "x", []byte("x"))
	_, err = h.aws.DeleteBucket(c, &s3.DeleteBucketInput{Bucket: aws.String(b)})
	wantCode(t, err, "BucketNotEmpty", 409)
	_, err = h.aws.DeleteObject(c, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("x")})
	check(t, err, "DeleteObject")
	up, err := h.aws.CreateMultipartUpload(c, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("u")})
	check(t, err, "CreateMultipartUpload")
	_, err = h.aws.DeleteBucket(c, &s3.DeleteBucketInput{Bucket: aws.String(b)})
	wantCode(t, err, "BucketNotEmpty", 409)
	_, err = h.aws.AbortMultipartUpload(c, &s3.AbortMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("u"), UploadId: up.UploadId})
	check(t, err, "AbortMultipartUpload")

	_, err = h.aws.DeleteBucket(c, &s3.DeleteBucketInput{Bucket: aws.String(b)})
	check(t, err, "DeleteBucket")
	_, err = h.aws.DeleteBucket(c, &s3.DeleteBucketInput{Bucket: aws.String(b)})
	wantCode(t, err, "NoSuchBucket", 404)
	_, err = h.aws.PutObject(c, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("data")})
	wantCode(t, err, "NoSuchBucket", 404)
	_, err = h.aws.ListObjectsV2(c, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	wantCode(t, err, "NoSuchBucket", 404)

	// CreateBucketConfiguration: the server's own region or nothing.
	b2 := b + "-cfg"
	body := `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`
	h.do(t, rawRequest{method: "PUT", path: "/" + b2, body: []byte(body)}).wantError(t, 400, "InvalidLocationConstraint")
	h.do(t, rawRequest{method: "PUT", path: "/" + b2, body: []byte("<CreateBucketConfiguration><Loc")}).wantError(t, 400, "MalformedXML")
	body = `<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>`
	if r := h.do(t, rawRequest{method: "PUT", path: "/" + b2, body: []byte(body)}); r.status != 200 || r.header.Get("Location") != "/"+b2 {
		t.Fatalf("CreateBucket with configuration: %d %s, Location %q", r.status, r.body, r.header.Get("Location"))
	}
}

func testBucketNames(t *testing.T, h *harness) {
	c := ctx(t)
	long := strings.Repeat("a", 64)
	for _, name := range []string{
		"ab", long, "UpperCase", "under_score", "-start", "end-", ".start", "end.",
		"two..dots", "192.168.5.4", "xn--punycode", "bucket-s3alias", "bucket--ol-s3", "spa ce",
	} {
		r := h.do(t, rawRequest{method: "PUT", path: "/" + escapeKey(name)})
		if r.status != 400 || r.err(t).Code != "InvalidBucketName" {
			t.Errorf("CreateBucket %q: %d %s", name, r.status, r.body)
		}
	}
	for _, name := range []string{"abc", strings.Repeat("b", 63), "a.b-c.1", "1-2-3", "192.168.5.4x"} {
		if _, err := h.aws.CreateBucket(c, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Errorf("CreateBucket %q: %v", name, err)
			continue
		}
		if _, err := h.aws.DeleteBucket(c, &s3.DeleteBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Errorf("DeleteBucket %q: %v", name, err)
		}
	}
}

// testVirtualHosted drives the server with "<bucket>.s3.localhost" hosts.
func testVirtualHosted(t *testing.T, h *harness) {
	c := ctx(t)
	b := fmt.Sprintf("s3test-vhost-%d", h.buckets.Add(1))
	_, err := h.awsVHost.CreateBucket(c, &s3.CreateBucketInput{Bucket: aws.String(b)})
	check(t, err, "virtual-hosted CreateBucket")
	data := pattern(10000, 1)
	for _, key := range []string{"plain", "dir/sub dir/ü+", "a//b/../c"} {
		_, err = h.awsVHost.PutObject(c, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(data)})
		check(t, err, "virtual-hosted PutObject "+key)
		// Read back path style: both styles name the same object.
		got, _ := h.get(t, b, key)
		if !bytes.Equal(got, data) {
			t.Fatalf("%q: path-style GET returned %d bytes", key, len(got))
		}
	}
	list, err := h.awsVHost.ListObjectsV2(c, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	check(t, err, "virtual-hosted ListObjectsV2")
	if len(list.Contents) != 3 {
		t.Fatalf("virtual-hosted listing has %d keys", len(list.Contents))
	}
	out, err := h.awsVHost.GetObject(c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("missing")})
	if err == nil {
		out.Body.Close()
	}
	wantCode(t, err, "NoSuchKey", http.StatusNotFound)
}
