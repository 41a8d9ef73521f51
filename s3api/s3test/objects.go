package s3test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func testPutGetHead(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	for _, size := range []int{0, 1, 1000, 256 << 10, 3<<20 + 7} {
		data := pattern(size, uint64(size))
		key := "obj-" + strings.Repeat("x", size%7)
		for name, cl := range map[string]*s3.Client{"tls": h.aws, "plain": h.awsPlain} {
			before := time.Now().Truncate(time.Second)
			put, err := cl.PutObject(c, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(data)})
			check(t, err, name+" PutObject")
			if str(put.ETag) != md5ETag(data) {
				t.Fatalf("%s PutObject %d bytes: ETag %s, want %s", name, size, str(put.ETag), md5ETag(data))
			}
			got, out := h.get(t, b, key)
			if !bytes.Equal(got, data) || str(out.ETag) != md5ETag(data) || aws.ToInt64(out.ContentLength) != int64(size) {
				t.Fatalf("GetObject %d bytes: got %d bytes, ETag %s, Content-Length %d", size, len(got), str(out.ETag), aws.ToInt64(out.ContentLength))
			}
			if str(out.AcceptRanges) != "bytes" {
				t.Errorf("Accept-Ranges %q", str(out.AcceptRanges))
			}
			if out.LastModified == nil || out.LastModified.Before(before) || out.LastModified.After(time.Now().Add(time.Second)) {
				t.Errorf("Last-Modified %v, put at %v", out.LastModified, before)
			}
			head, err := h.aws.HeadObject(c, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
			check(t, err, "HeadObject")
			if aws.ToInt64(head.ContentLength) != int64(size) || str(head.ETag) != md5ETag(data) {
				t.Fatalf("HeadObject: Content-Length %d, ETag %s", aws.ToInt64(head.ContentLength), str(head.ETag))
			}
		}
	}
	// Without a Content-Type, S3's default.
	if r := h.do(t, rawRequest{method: "PUT", path: "/" + b + "/untyped", body: []byte("x")}); r.status != 200 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	if _, out := h.get(t, b, "untyped"); str(out.ContentType) != "binary/octet-stream" {
		t.Errorf("default Content-Type %q", str(out.ContentType))
	}
	// Overwrite.
	h.put(t, b, "obj-", []byte("new"))
	if got, _ := h.get(t, b, "obj-"); string(got) != "new" {
		t.Fatalf("after overwrite: %q", got)
	}

	out, err := h.aws.GetObject(c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("missing")})
	if err == nil {
		out.Body.Close()
	}
	wantCode(t, err, "NoSuchKey", 404)
	_, err = h.aws.GetObject(c, &s3.GetObjectInput{Bucket: aws.String("s3test-never-created"), Key: aws.String("k")})
	wantCode(t, err, "NoSuchBucket", 404)
	h.wantMissing(t, b, "missing")
	r := h.do(t, rawRequest{method: "HEAD", path: "/" + b + "/missing"})
	if r.status != 404 || len(r.body) != 0 {
		t.Fatalf("HEAD missing: %d with %d body bytes", r.status, len(r.body))
	}
	e := h.do(t, rawRequest{method: "GET", path: "/" + b + "/missing"}).wantError(t, 404, "NoSuchKey")
	if e.Resource != "/"+b+"/missing" {
		t.Errorf("Resource %q", e.Resource)
	}
	// The null version is the only version.
	if r := h.do(t, rawRequest{method: "GET", path: "/" + b + "/obj-", query: "versionId=null"}); r.status != 200 {
		t.Errorf("GET versionId=null: %d", r.status)
	}
	h.do(t, rawRequest{method: "GET", path: "/" + b + "/obj-", query: "versionId=3HL4kqtJlcpXroDTDmJ"}).wantError(t, 400, "InvalidArgument")
}

func testMetadata(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	data := []byte("<html>metadata</html>")
	expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	_, err := h.aws.PutObject(c, &s3.PutObjectInput{
		Bucket: aws.String(b), Key: aws.String("m"), Body: bytes.NewReader(data),
		ContentType:        aws.String("text/html; charset=utf-8"),
		ContentEncoding:    aws.String("identity"),
		ContentDisposition: aws.String(`attachment; filename="m.html"`),
		ContentLanguage:    aws.String("de-CH"),
		CacheControl:       aws.String("max-age=60"),
		Expires:            aws.Time(expires),
		Metadata:           map[string]string{"Color": "blue", "multi-word-name": "  spaced value "},
	})
	check(t, err, "PutObject")
	want := func(what string, out *s3.HeadObjectOutput) {
		t.Helper()
		if str(out.ContentType) != "text/html; charset=utf-8" || str(out.ContentEncoding) != "identity" ||
			str(out.ContentDisposition) != `attachment; filename="m.html"` || str(out.ContentLanguage) != "de-CH" ||
			str(out.CacheControl) != "max-age=60" || str(out.ExpiresString) != expires.Format(http.TimeFormat) {
			t.Fatalf("%s: headers type %q encoding %q disposition %q language %q cache %q expires %q", what,
				str(out.ContentType), str(out.ContentEncoding), str(out.ContentDisposition), str(out.ContentLanguage),
				str(out.CacheControl), str(out.ExpiresString))
		}
		if len(out.Metadata) != 2 || out.Metadata["color"] != "blue" || out.Metadata["multi-word-name"] != "spaced value" {
			t.Fatalf("%s: metadata %q", what, out.Metadata)
		}
	}
	head, err := h.aws.HeadObject(c, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("m")})
	check(t, err, "HeadObject")
	want("HeadObject", head)
	get, err := h.aws.GetObject(c, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("m")})
	check(t, err, "GetObject")
	get.Body.Close()
	want("GetObject", &s3.HeadObjectOutput{ContentType: get.ContentType, ContentEncoding: get.ContentEncoding,
		ContentDisposition: get.ContentDisposition, ContentLanguage: get.ContentLanguage, CacheControl: get.CacheControl,
		ExpiresString: get.ExpiresString, Metadata: get.Metadata})

	// response-* overrides.
	get, err = h.aws.GetObject(c, &s3.GetObjectInput{
		Bucket: aws.String(b), Key: aws.String("m"),
		ResponseContentType:        aws.String("application/x-override"),
		ResponseContentDisposition: aws.String(`inline; filename="ä b.txt"`),
		ResponseContentLanguage:    aws.String("fr"),
		ResponseCacheControl:       aws.String("no-store"),
		ResponseContentEncoding:    aws.String("identity"),
		ResponseExpires:            aws.Time(expires.Add(time.Hour)),
	})
	check(t, err, "GetObject with overrides")
	body, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if !bytes.Equal(body, data) || str(get.ContentType) != "application/x-override" || str(get.ContentDisposition) != `inline; filename="ä b.txt"` ||
		str(get.ContentLanguage) != "fr" || str(get.CacheControl) != "no-store" || str(get.ExpiresString) != expires.Add(time.Hour).Format(http.TimeFormat) {
		t.Fatalf("overrides: type %q disposition %q language %q cache %q expires %q", str(get.ContentType),
			str(get.ContentDisposition), str(get.ContentLanguage), str(get.CacheControl), str(get.ExpiresString))
	}
	acl, err := h.aws.GetObjectAcl(c, &s3.GetObjectAclInput{Bucket: aws.String(b), Key: aws.String("m")})
	check(t, err, "GetObjectAcl")
	if len(acl.Grants) != 1 || acl.Grants[0].Permission != types.PermissionFullControl {
		t.Errorf("GetObjectAcl %+v", acl.Grants)
	}
	tags, err := h.aws.GetObjectTagging(c, &s3.GetObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("m")})
	check(t, err, "GetObjectTagging")
	if len(tags.TagSet) != 0 {
		t.Errorf("GetObjectTagging %+v, want no tags", tags.TagSet)
	}
	_, err = h.aws.GetObjectTagging(c, &s3.GetObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("never-written")})
	wantCode(t, err, "NoSuchKey", 404)
}

// awkwardKeys are keys that trip up encoders, signers and routers.
var awkwardKeys = []string{
	"plain.txt",
	"dir/sub dir/file name.txt",
	"ünïcödé/日本語/€",
	"plus+equals=tilde~star*",
	"a//b/./c/../d",
	"literal%2Fpercent%20",
	"sub-delims!$&'()*,;:@",
	"question?hash#",
	"trailing/",
	" leading space",
	"tab\tnewline\n",
	"<xml>&amp;\"quote\"</xml>",
	strings.Repeat("k", 1024),
}

func testAwkwardKeys(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	for i, key := range awkwardKeys {
		data := pattern(100+i, uint64(i))
		h.put(t, b, key, data)
		got, _ := h.get(t, b, key)
		if !bytes.Equal(got, data) {
			t.Fatalf("GET %q after PUT: %d bytes", key, len(got))
		}
	}
	list, err := h.aws.ListObjectsV2(c, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	check(t, err, "ListObjectsV2")
	seen := map[string]bool{}
	for _, o := range list.Contents {
		seen[str(o.Key)] = true
	}
	for _, key := range awkwardKeys {
		if !seen[key] {
			t.Errorf("key %q not listed", key)
		}
	}
	for _, key := range awkwardKeys {
		_, err := h.aws.DeleteObject(c, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
		check(t, err, "DeleteObject "+key)
		h.wantMissing(t, b, key)
	}
}

func testDelete(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	h.put(t, b, "k", []byte("data"))
	r := h.do(t, rawRequest{method: "DELETE", path: "/" + b + "/k"})
	if r.status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	h.wantMissing(t, b, "k")
	// Deleting a missing key succeeds.
	if r := h.do(t, rawRequest{method: "DELETE", path: "/" + b + "/k"}); r.status != http.StatusNoContent {
		t.Fatalf("DELETE missing: %d %s", r.status, r.body)
	}
	_, err := h.aws.DeleteObject(c, &s3.DeleteObjectInput{Bucket: aws.String("s3test-never-created"), Key: aws.String("k")})
	wantCode(t, err, "NoSuchBucket", 404)
}

func testDeleteObjects(t *testing.T, h *harness) {
	c := ctx(t)
	b := h.bucket(t)
	var ids []types.ObjectIdentifier
	for i := range 30 {
		key := "del/" + strings.Repeat("k", i+1)
		if i%3 != 0 {
			h.put(t, b, key, []byte(key))
		}
		ids = append(ids, types.ObjectIdentifier{Key: aws.String(key)})
	}
	h.put(t, b, "keep", []byte("keep"))
	ids = append(ids, types.ObjectIdentifier{Key: aws.String(strings.Repeat("x", 1025))})
	out, err := h.aws.DeleteObjects(c, &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: ids}})
	check(t, err, "DeleteObjects")
	if len(out.Deleted) != 30 || len(out.Errors) != 1 || str(out.Errors[0].Code) != "KeyTooLongError" {
		t.Fatalf("DeleteObjects: %d deleted, errors %+v", len(out.Deleted), out.Errors)
	}
	for i, d := range out.Deleted {
		if str(d.Key) != str(ids[i].Key) {
			t.Fatalf("Deleted[%d] = %q, want request order", i, str(d.Key))
		}
	}
	list, err := h.aws.ListObjectsV2(c, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	check(t, err, "ListObjectsV2")
	if len(list.Contents) != 1 || str(list.Contents[0].Key) != "keep" {
		t.Fatalf("after DeleteObjects %d keys remain", len(list.Contents))
	}

	// Quiet mode reports only errors; minio-go sends Content-MD5.
	h.put(t, b, "q1", []byte("1"))
	out, err = h.aws.DeleteObjects(c, &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{
		Quiet: aws.Bool(true), Objects: []types.ObjectIdentifier{{Key: aws.String("q1")}, {Key: aws.String("q2")}}}})
	check(t, err, "quiet DeleteObjects")
	if len(out.Deleted) != 0 || len(out.Errors) != 0 {
		t.Fatalf("quiet DeleteObjects: %+v %+v", out.Deleted, out.Errors)
	}
	h.wantMissing(t, b, "q1")

	// The body must carry Content-MD5 or a checksum; it must parse.
	body := []byte(`<Delete><Object><Key>keep</Key></Object></Delete>`)
	h.do(t, rawRequest{method: "POST", path: "/" + b, query: "delete", body: body}).wantError(t, 400, "InvalidRequest")
	h.do(t, rawRequest{method: "POST", path: "/" + b, query: "delete", body: []byte("<Delete><Object>"),
		header: http.Header{"Content-Md5": {contentMD5([]byte("<Delete><Object>"))}}}).wantError(t, 400, "MalformedXML")
	h.do(t, rawRequest{method: "POST", path: "/" + b, query: "delete", body: body,
		header: http.Header{"Content-Md5": {contentMD5([]byte("something else"))}}}).wantError(t, 400, "BadDigest")
	h.do(t, rawRequest{method: "POST", path: "/s3test-never-created", query: "delete", body: body,
		header: http.Header{"Content-Md5": {contentMD5(body)}}}).wantError(t, 404, "NoSuchBucket")
	r := h.do(t, rawRequest{method: "POST", path: "/" + b, query: "delete", body: body, header: http.Header{"Content-Md5": {contentMD5(body)}}})
	if r.status != 200 || !bytes.Contains(r.body, []byte("<Deleted><Key>keep</Key></Deleted>")) {
		t.Fatalf("DeleteObjects with Content-MD5: %d %s", r.status, r.body)
	}
	h.wantMissing(t, b, "keep")
	many := []byte("<Delete>" + strings.Repeat("<Object><Key>k</Key></Object>", 1001) + "</Delete>")
	h.do(t, rawRequest{method: "POST", path: "/" + b, query: "delete", body: many,
		header: http.Header{"Content-Md5": {contentMD5(many)}}}).wantError(t, 400, "MalformedXML")
}
