package sigv4

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Round trips through aws-sdk-go-v2's S3 client with its default checksum
// behaviour, against a test server whose handler calls Verify.

func awsS3Client(srv interface{ Client() *http.Client }, url string) *s3.Client {
	return s3.New(s3.Options{
		Region: testRegion,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return awsCreds, nil
		}),
		BaseEndpoint:     aws.String(url),
		UsePathStyle:     true,
		HTTPClient:       srv.Client(),
		RetryMaxAttempts: 1,
		// What config.LoadDefaultConfig resolves to when nothing is set.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	})
}

var awkwardKeys = []string{
	"plain.txt",
	"dir/sub dir/file name.txt",
	"ünïcödé/日本語/€",
	"plus+equals=tilde~star*",
	"a//b/./c/../d",
	"literal%2Fpercent%20",
	"sub-delims!$&'()*,;:@",
}

func TestAWSClientPutObjectTLS(t *testing.T) {
	f, srv := newFakeS3(t, true)
	c := awsS3Client(srv, srv.URL)
	ctx := context.Background()
	data := pattern(300 << 10)
	for _, key := range awkwardKeys {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key), Body: bytes.NewReader(data)})
		if err != nil {
			t.Fatalf("PutObject %q: %v", key, err)
		}
	}
	for _, alg := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256} {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("alg"), Body: bytes.NewReader(data), ChecksumAlgorithm: alg})
		if err != nil {
			t.Fatalf("PutObject %s: %v", alg, err)
		}
	}
	// A body of unknown length is sent in 64 KiB aws-chunked chunks.
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("stream"), Body: io.MultiReader(bytes.NewReader(data))})
	if err != nil {
		t.Fatalf("PutObject unseekable: %v", err)
	}

	want := []ChecksumAlgorithm{ChecksumCRC32, ChecksumCRC32, ChecksumCRC32, ChecksumCRC32, ChecksumCRC32, ChecksumCRC32, ChecksumCRC32,
		ChecksumCRC32C, ChecksumCRC64NVME, ChecksumSHA1, ChecksumSHA256, ChecksumCRC32}
	reqs := f.requests()
	if len(reqs) != len(want) {
		t.Fatalf("%d requests, want %d", len(reqs), len(want))
	}
	for i, r := range reqs {
		if r.Payload != PayloadStreamingUnsignedTrailer || !r.HasChecksum || !r.Checksum.Trailer ||
			r.Checksum.Algorithm != want[i] || r.Checksum.Value != checksumOf(want[i], data) || !bytes.Equal(r.Body, data) {
			t.Errorf("request %d (%s): payload %s, checksum %+v %v, %d bytes", i, r.Path, r.Payload, r.Checksum, r.HasChecksum, len(r.Body))
		}
	}
	if got := reqs[1].Path; got != "/bucket/dir/sub dir/file name.txt" {
		t.Errorf("path = %q", got)
	}
}

func TestAWSClientPutObjectPlainHTTP(t *testing.T) {
	f, srv := newFakeS3(t, false)
	c := awsS3Client(srv, srv.URL)
	data := pattern(100 << 10)
	for _, key := range awkwardKeys {
		_, err := c.PutObject(context.Background(), &s3.PutObjectInput{
			Bucket: aws.String("bucket"), Key: aws.String(key), Body: bytes.NewReader(data),
			ContentType: aws.String("application/x-test"), Metadata: map[string]string{"Owner": "  someone   else "},
		})
		if err != nil {
			t.Fatalf("PutObject %q: %v", key, err)
		}
	}
	for _, r := range f.requests() {
		// Without TLS the SDK signs the payload hash and sends the
		// checksum as a header.
		if r.Payload != PayloadSHA256 || !r.HasChecksum || r.Checksum.Trailer || r.Checksum.Algorithm != ChecksumCRC32 ||
			!bytes.Equal(r.Body, data) {
			t.Errorf("%s: payload %s, checksum %+v %v", r.Path, r.Payload, r.Checksum, r.HasChecksum)
		}
	}
}

func TestAWSClientMultipartAndMore(t *testing.T) {
	f, srv := newFakeS3(t, true)
	c := awsS3Client(srv, srv.URL)
	ctx := context.Background()
	b, k := aws.String("bucket"), aws.String("multi part/ключ")

	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: k, ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i := int32(1); i <= 2; i++ {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: k, UploadId: up.UploadId, PartNumber: aws.Int32(i),
			Body: bytes.NewReader(pattern(int(i) * 70000)), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
		if err != nil {
			t.Fatalf("UploadPart %d: %v", i, err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(i), ETag: out.ETag, ChecksumCRC32C: out.ChecksumCRC32C})
	}
	// The object-level checksum of a multipart upload is not a checksum of
	// the request body and must not be checked against it.
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: k, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}, ChecksumCRC32C: aws.String("AAAAAA==-2")})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	_, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: k}, {Key: aws.String("x y")}}}})
	if err != nil {
		t.Fatalf("DeleteObjects: %v", err)
	}
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Prefix: aws.String("dir/ä ö+="), Delimiter: aws.String("/"), StartAfter: aws.String("~x")})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}

	reqs := f.requests()
	if len(reqs) != 6 {
		t.Fatalf("%d requests", len(reqs))
	}
	for i, r := range reqs {
		if r.Err != nil {
			t.Errorf("request %d: %v", i, r.Err)
		}
	}
	for _, r := range reqs[1:3] {
		if r.Payload != PayloadStreamingUnsignedTrailer || r.Checksum.Algorithm != ChecksumCRC32C {
			t.Errorf("UploadPart: payload %s, checksum %+v", r.Payload, r.Checksum)
		}
	}
	if !strings.Contains(string(reqs[3].Body), "<CompleteMultipartUpload") || reqs[3].HasChecksum {
		t.Errorf("CompleteMultipartUpload: body %q, checksum %+v", reqs[3].Body, reqs[3].Checksum)
	}
	if !reqs[4].HasChecksum {
		t.Errorf("DeleteObjects carried no verified checksum: %+v", reqs[4])
	}
}

func TestAWSClientPresign(t *testing.T) {
	f, srv := newFakeS3(t, true)
	pc := s3.NewPresignClient(awsS3Client(srv, srv.URL))
	ctx := context.Background()
	data := []byte("uploaded through a presigned URL")
	for _, key := range awkwardKeys {
		put, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key), ContentType: aws.String("text/plain")})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(put.Method, put.URL, bytes.NewReader(data))
		for k, v := range put.SignedHeader {
			if k != "Host" {
				req.Header[k] = v
			}
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("presigned PUT %q: %s", key, resp.Status)
		}

		get, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key), ResponseContentDisposition: aws.String(`attachment; filename="ä b.txt"`)})
		if err != nil {
			t.Fatal(err)
		}
		resp, err = srv.Client().Get(get.URL)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Equal(got, data) {
			t.Fatalf("presigned GET %q: %s %q", key, resp.Status, got)
		}
	}
	for _, r := range f.requests() {
		if !r.Presigned || r.Err != nil {
			t.Errorf("%s %s: presigned %v, err %v", r.Method, r.Path, r.Presigned, r.Err)
		}
	}
}
