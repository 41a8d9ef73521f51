package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Examples published in the Amazon S3 API reference ("Authenticating
// Requests: Using the Authorization Header", "... Using Query Parameters",
// "... Transferring Payload in Multiple Chunks" and "... Including
// Trailing Headers"). They pin canonicalisation, key derivation and the
// chunk signature chain to values computed by AWS.

var awsExampleTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

const awsExampleKey = "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"

func awsExampleRequest(t *testing.T, raw string) *http.Request {
	t.Helper()
	head, body, _ := strings.Cut(raw, "\n\n")
	raw = strings.ReplaceAll(head, "\n", "\r\n") + "\r\n\r\n" + body
	r, err := http.ReadRequest(bufioReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAWSExampleGetObject(t *testing.T) {
	v := newTestVerifier(t)
	r := awsExampleRequest(t, `GET /test.txt HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Authorization: AWS4-HMAC-SHA256 Credential=`+awsExampleKey+`,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41
Range: bytes=0-9
x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
x-amz-date: 20130524T000000Z

`)
	res, _ := mustVerify(t, v, r, awsExampleTime.Add(time.Minute))
	if res.AccessKeyID != "AKIAIOSFODNN7EXAMPLE" || res.Payload != PayloadSHA256 || res.Presigned {
		t.Errorf("result = %+v", res)
	}

	r = awsExampleRequest(t, `GET /test.txt HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Authorization: AWS4-HMAC-SHA256 Credential=`+awsExampleKey+`,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41
Range: bytes=0-99
x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
x-amz-date: 20130524T000000Z

`)
	_, err := v.Verify(r, awsExampleTime)
	wantErr(t, err, ErrSignatureDoesNotMatch)
}

func TestAWSExamplePutObject(t *testing.T) {
	// The example signs the path "/test%24file.text". It is accepted whether
	// the client sends "$" encoded or bare.
	for _, path := range []string{"/test%24file.text", "/test$file.text"} {
		t.Run(path, func(t *testing.T) {
			v := newTestVerifier(t)
			body := "Welcome to Amazon S3."
			r := awsExampleRequest(t, `PUT `+path+` HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Date: Fri, 24 May 2013 00:00:00 GMT
Authorization: AWS4-HMAC-SHA256 Credential=`+awsExampleKey+`,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd
x-amz-date: 20130524T000000Z
x-amz-storage-class: REDUCED_REDUNDANCY
x-amz-content-sha256: 44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
Content-Length: 21

`+body)
			_, data := mustVerify(t, v, r, awsExampleTime)
			if string(data) != body {
				t.Errorf("body = %q", data)
			}
		})
	}
}

func TestAWSExamplePresignedGet(t *testing.T) {
	v := newTestVerifier(t)
	const target = "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	req := func() *http.Request {
		return awsExampleRequest(t, "GET "+target+" HTTP/1.1\nHost: examplebucket.s3.amazonaws.com\n\n")
	}
	res, _ := mustVerify(t, v, req(), awsExampleTime.Add(23*time.Hour))
	if !res.Presigned || res.Payload != PayloadUnsigned || !res.Expires.Equal(awsExampleTime.Add(24*time.Hour)) {
		t.Errorf("result = %+v", res)
	}
	_, err := v.Verify(req(), awsExampleTime.Add(24*time.Hour+time.Second))
	wantErr(t, err, ErrRequestExpired)
	code, status := S3Code(err)
	if code != "AccessDenied" || status != http.StatusForbidden {
		t.Errorf("S3Code = %s %d", code, status)
	}
}

// The chunked upload example: 66560 bytes of 'a' in chunks of 65536, 1024
// and 0 bytes.
func awsChunkedExampleBody() []byte {
	var b bytes.Buffer
	for _, c := range []struct {
		n   int
		sig string
	}{
		{65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"},
		{1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"},
		{0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"},
	} {
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", c.n, c.sig)
		b.Write(repeatBytes("a", c.n))
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

func awsChunkedExampleRequest(t *testing.T, body []byte) *http.Request {
	return awsExampleRequest(t, `PUT /examplebucket/chunkObject.txt HTTP/1.1
Host: s3.amazonaws.com
x-amz-date: 20130524T000000Z
x-amz-storage-class: REDUCED_REDUNDANCY
Authorization: AWS4-HMAC-SHA256 Credential=`+awsExampleKey+`,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9
x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD
Content-Encoding: aws-chunked
x-amz-decoded-content-length: 66560
Content-Length: 66824

`+string(body))
}

func TestAWSExampleChunkedUpload(t *testing.T) {
	v := newTestVerifier(t)
	body := awsChunkedExampleBody()
	if len(body) != 66824 {
		t.Fatalf("example body is %d bytes", len(body))
	}
	res, data := mustVerify(t, v, awsChunkedExampleRequest(t, body), awsExampleTime)
	if !bytes.Equal(data, repeatBytes("a", 66560)) {
		t.Errorf("decoded %d bytes", len(data))
	}
	if res.Payload != PayloadStreamingSigned || res.DecodedContentLength != 66560 || res.ContentEncoding != "" {
		t.Errorf("result = %+v", res)
	}

	// The same body with one byte of the second chunk changed.
	bad := bytes.Clone(body)
	bad[len(bad)-200] = 'b'
	err := verifyErr(t, v, awsChunkedExampleRequest(t, bad), awsExampleTime)
	wantErr(t, err, ErrChunkSignatureMismatch)
	wantErr(t, err, ErrSignatureDoesNotMatch)
}

func TestAWSExampleTrailerSignature(t *testing.T) {
	key := deriveSigningKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", scope{"20130524", "us-east-1", "s3"})
	s := newChainSigner(key, "20130524T000000Z", scope{"20130524", "us-east-1", "s3"},
		"e05ab64fe1dfdbf0b5870abbaabdb063c371d4e96f2767e6934d90529c5ae850")
	got := s.trailer([]byte("x-amz-checksum-crc32c:wdBDMA==\n"))
	if want := "41e14ac611e27a8bb3d66c3bad6856f209297767d5dd4fc87d8fa9e422e03faf"; got != want {
		t.Errorf("trailer signature = %s, want %s", got, want)
	}
}

func TestAWSExampleChunkSignature(t *testing.T) {
	sc := scope{"20130524", "us-east-1", "s3"}
	key := deriveSigningKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", sc)
	s := newChainSigner(key, "20130524T000000Z", sc, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
	sum := sha256.Sum256(repeatBytes("a", 65536))
	if got, want := s.chunk(sum[:]), "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"; got != want {
		t.Errorf("chunk signature = %s, want %s", got, want)
	}
}

// CRC-64/NVME check value: the CRC of "123456789" is 0xAE8B14860A799888.
func TestCRC64NVMECheckValue(t *testing.T) {
	h := ChecksumCRC64NVME.New()
	io.WriteString(h, "123456789")
	if got := hex.EncodeToString(h.Sum(nil)); got != "ae8b14860a799888" {
		t.Errorf("CRC64NVME(123456789) = %s, want ae8b14860a799888", got)
	}
	if got := crc64.Checksum([]byte("123456789"), crc64.MakeTable(crc64.ECMA)); got == 0xAE8B14860A799888 {
		t.Error("the check value does not discriminate polynomials")
	}
}
