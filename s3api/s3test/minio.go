package s3test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/minio/minio-go/v7"
)

func minioPutOptions(partSize uint64) minio.PutObjectOptions {
	return minio.PutObjectOptions{PartSize: partSize, ContentType: "application/x-minio"}
}

// testMinio runs the common operations through minio-go, which signs
// every chunk of its uploads over plain HTTP and lists with
// encoding-type=url.
func testMinio(t *testing.T, h *harness) {
	c := ctx(t)
	mc := h.minio
	b := fmt.Sprintf("s3test-minio-%d", h.buckets.Add(1))
	check(t, mc.MakeBucket(c, b, minio.MakeBucketOptions{Region: Region}), "MakeBucket")
	ok, err := mc.BucketExists(c, b)
	if err != nil || !ok {
		t.Fatalf("BucketExists: %v %v", ok, err)
	}
	wantCode(t, mc.MakeBucket(c, b, minio.MakeBucketOptions{Region: Region}), "BucketAlreadyOwnedByYou", 409)

	data := pattern(300<<10, 50)
	info, err := mc.PutObject(c, b, "dir/obj ü", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{
		ContentType: "text/x-minio", UserMetadata: map[string]string{"Tag": "v"}})
	check(t, err, "PutObject")
	if `"`+info.ETag+`"` != md5ETag(data) {
		t.Fatalf("ETag %s", info.ETag)
	}
	st, err := mc.StatObject(c, b, "dir/obj ü", minio.StatObjectOptions{})
	check(t, err, "StatObject")
	if st.Size != int64(len(data)) || st.ContentType != "text/x-minio" || st.UserMetadata["Tag"] != "v" {
		t.Fatalf("StatObject: %+v", st)
	}
	obj, err := mc.GetObject(c, b, "dir/obj ü", minio.GetObjectOptions{})
	check(t, err, "GetObject")
	got, err := io.ReadAll(obj)
	obj.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("GetObject: %v, %d bytes", err, len(got))
	}
	// Ranged reads through ReadAt.
	obj, err = mc.GetObject(c, b, "dir/obj ü", minio.GetObjectOptions{})
	check(t, err, "GetObject")
	part := make([]byte, 1000)
	_, err = obj.ReadAt(part, 5000)
	obj.Close()
	if err != nil || !bytes.Equal(part, data[5000:6000]) {
		t.Fatalf("ReadAt: %v", err)
	}
	_, err = mc.StatObject(c, b, "missing", minio.StatObjectOptions{})
	wantCode(t, err, "NoSuchKey", 404)

	_, err = mc.CopyObject(c, minio.CopyDestOptions{Bucket: b, Object: "copy/of it"}, minio.CopySrcOptions{Bucket: b, Object: "dir/obj ü", MatchETag: info.ETag})
	check(t, err, "CopyObject")
	var keys []string
	for o := range mc.ListObjects(c, b, minio.ListObjectsOptions{Recursive: true}) {
		check(t, o.Err, "ListObjects")
		keys = append(keys, o.Key)
	}
	if len(keys) != 2 || keys[0] != "copy/of it" || keys[1] != "dir/obj ü" {
		t.Fatalf("ListObjects: %q", keys)
	}
	objs := make(chan minio.ObjectInfo, 2)
	objs <- minio.ObjectInfo{Key: "copy/of it"}
	objs <- minio.ObjectInfo{Key: "dir/obj ü"}
	close(objs)
	for e := range mc.RemoveObjects(c, b, objs, minio.RemoveObjectsOptions{}) {
		t.Fatalf("RemoveObjects: %s: %v", e.ObjectName, e.Err)
	}
	check(t, mc.RemoveBucket(c, b), "RemoveBucket")
}
