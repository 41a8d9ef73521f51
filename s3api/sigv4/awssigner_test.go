package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Requests signed by aws-sdk-go-v2's SigV4 signer, configured as its S3
// client configures it (no second encoding of the path).

func awsSigner() *v4.Signer {
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
}

var awsCreds = aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSK}

// Paths as an S3 client puts them on the wire (already percent-encoded).
var awkwardPaths = []string{
	"/bucket/plain.txt",
	"/bucket/with%20space",
	"/bucket/%E2%82%AC%C3%A9%E6%97%A5%E6%9C%AC",       // unicode
	"/bucket/plus%2Bequals%3Dtilde~",                  // strictly encoded
	"/bucket/plus+equals=raw",                         // sent bare
	"/bucket/%7Etilde-encoded",                        // over-encoded ~
	"/bucket/dir%2Fslash",                             // encoded slash in a key
	"/bucket//double//slashes//",                      // not normalised
	"/bucket/./dot/../segments",                       // not normalised
	"/bucket/sub-delims!$&'()*,;:@",                   // bare sub-delims
	"/bucket/percent%25sign%2520",                     // literal "%" and "%20"
	"/",                                               // service root
	"/bucket",                                         // bucket
	"/bucket/a%09tab%0Anewline",                       // control characters
	"/bucket/quote%22hash%23question%3F%5Bbracket%5D", // reserved characters
}

var awkwardQueries = []string{
	"",
	"uploads",
	"list-type=2&prefix=a%20b&delimiter=%2F",
	"partNumber=1&uploadId=a%2Bb%3D%3D",
	"q=a+b",         // "+" is a space
	"b=2&a=1&a=0&c", // duplicate keys sort by value
	"prefix=%E2%82%AC&encoding-type=url",
	"x-id=PutObject&versionId=null&tagging",
	"empty=&also-empty",
}

func TestAWSSignerHeaderAuth(t *testing.T) {
	v := newTestVerifier(t)
	for _, path := range awkwardPaths {
		for _, query := range awkwardQueries {
			t.Run(path+"?"+query, func(t *testing.T) {
				body := []byte("hello, " + path)
				req, err := http.NewRequest(http.MethodPut, "http://s3.example.com:9000"+path+"?"+query, bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(body)
				payload := hex.EncodeToString(sum[:])
				req.Header.Set("X-Amz-Content-Sha256", payload)
				req.Header.Set("Content-Type", "text/plain")
				req.Header.Add("X-Amz-Meta-Multi", "first")
				req.Header.Add("X-Amz-Meta-Multi", "  second   value  ")
				req.Header.Set("X-Amz-Meta-Spaces", "a  b   c")
				if err := awsSigner().SignHTTP(context.Background(), awsCreds, req, payload, "s3", testRegion, testNow); err != nil {
					t.Fatal(err)
				}
				// The signer rewrites the query in canonical order; send it
				// in the original order, as other clients do.
				req.URL.RawQuery = query
				res, data := mustVerify(t, v, wire(t, req), testNow.Add(5*time.Minute))
				if !bytes.Equal(data, body) {
					t.Errorf("body = %q", data)
				}
				if res.AccessKeyID != testAK || res.Region != testRegion || res.Payload != PayloadSHA256 ||
					!res.SignedAt.Equal(testNow) || res.DecodedContentLength != int64(len(body)) {
					t.Errorf("result = %+v", res)
				}
				if !res.IsSigned("X-Amz-Meta-Multi") || !res.IsSigned("host") || res.IsSigned("user-agent") {
					t.Errorf("signed headers = %v", res.SignedHeaders)
				}
			})
		}
	}
}

func TestAWSSignerTamper(t *testing.T) {
	v := newTestVerifier(t)
	sign := func() *http.Request {
		body := []byte("payload")
		req, _ := http.NewRequest(http.MethodPut, "http://s3.example.com/bucket/key?partNumber=1&uploadId=x", bytes.NewReader(body))
		sum := sha256.Sum256(body)
		payload := hex.EncodeToString(sum[:])
		req.Header.Set("X-Amz-Content-Sha256", payload)
		req.Header.Set("X-Amz-Meta-Color", "blue")
		if err := awsSigner().SignHTTP(context.Background(), awsCreds, req, payload, "s3", testRegion, testNow); err != nil {
			t.Fatal(err)
		}
		return wire(t, req)
	}
	mustVerify(t, v, sign(), testNow)

	cases := map[string]struct {
		mutate func(r *http.Request)
		want   error
	}{
		"signature": {func(r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-1]+string("0123456789abcdef"[(hexval(a[len(a)-1])+1)%16]))
		}, ErrSignatureDoesNotMatch},
		"signed header": {func(r *http.Request) { r.Header.Set("X-Amz-Meta-Color", "red") }, ErrSignatureDoesNotMatch},
		"host":          {func(r *http.Request) { r.Host = "evil.example.com" }, ErrSignatureDoesNotMatch},
		"method":        {func(r *http.Request) { r.Method = http.MethodPost }, ErrSignatureDoesNotMatch},
		"path": {func(r *http.Request) {
			r.RequestURI = "/bucket/other?partNumber=1&uploadId=x"
			r.URL.Path = "/bucket/other"
		}, ErrSignatureDoesNotMatch},
		"query value":      {func(r *http.Request) { r.URL.RawQuery = "partNumber=2&uploadId=x" }, ErrSignatureDoesNotMatch},
		"query added":      {func(r *http.Request) { r.URL.RawQuery += "&acl" }, ErrSignatureDoesNotMatch},
		"body":             {func(r *http.Request) { withBody(r, []byte("PAYLOAD")) }, ErrContentSHA256Mismatch},
		"body truncated":   {func(r *http.Request) { withBody(r, []byte("pay")) }, ErrContentSHA256Mismatch},
		"payload header":   {func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", unsignedPayload) }, ErrSignatureDoesNotMatch},
		"date":             {func(r *http.Request) { r.Header.Set("X-Amz-Date", testNow.Add(time.Second).Format(iso8601Basic)) }, ErrSignatureDoesNotMatch},
		"unknown key":      {func(r *http.Request) { setAuthField(r, testAK, "AKIDUNKNOWN") }, ErrInvalidAccessKeyID},
		"wrong region":     {func(r *http.Request) { setAuthField(r, "/"+testRegion+"/", "/ap-south-1/") }, ErrAuthorizationHeaderMalformed},
		"other region":     {func(r *http.Request) { setAuthField(r, "/"+testRegion+"/", "/eu-west-1/") }, ErrSignatureDoesNotMatch},
		"wrong service":    {func(r *http.Request) { setAuthField(r, "/s3/", "/ec2/") }, ErrAuthorizationHeaderMalformed},
		"scope date":       {func(r *http.Request) { setAuthField(r, "/20240524/", "/20240523/") }, ErrAuthorizationHeaderMalformed},
		"no date":          {func(r *http.Request) { r.Header.Del("X-Amz-Date") }, ErrMissingDate},
		"bad date":         {func(r *http.Request) { r.Header.Set("X-Amz-Date", "2024-05-24T12:00:00Z") }, ErrMissingDate},
		"no auth":          {func(r *http.Request) { r.Header.Del("Authorization") }, ErrMissingAuth},
		"sigv2":            {func(r *http.Request) { r.Header.Set("Authorization", "AWS "+testAK+":frJIUN8DYpKDtOLCwo//yllqDzg=") }, ErrUnsupportedAuthorization},
		"sigv4a":           {func(r *http.Request) { setAuthField(r, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256") }, ErrUnsupportedAuthorization},
		"malformed":        {func(r *http.Request) { setAuthField(r, "SignedHeaders=", "SignedHeader=") }, ErrAuthorizationHeaderMalformed},
		"two auths":        {func(r *http.Request) { r.URL.RawQuery += "&X-Amz-Signature=00" }, ErrInvalidArgument},
		"unexpected token": {func(r *http.Request) { r.Header.Set("X-Amz-Security-Token", "tok") }, ErrInvalidToken},
		"bad payload hash": {func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "abc") }, ErrInvalidContentSHA256},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := sign()
			c.mutate(r)
			wantErr(t, verifyErr(t, v, r, testNow), c.want)
		})
	}
}

func hexval(c byte) int {
	n, _ := unhex(c)
	return int(n)
}

func setAuthField(r *http.Request, old, new string) {
	a := r.Header.Get("Authorization")
	r.Header.Set("Authorization", replaceOnce(a, old, new))
}

func replaceOnce(s, old, new string) string {
	i := bytes.Index([]byte(s), []byte(old))
	if i < 0 {
		panic("replaceOnce: " + old + " not in " + s)
	}
	return s[:i] + new + s[i+len(old):]
}

func TestAWSSignerClockSkew(t *testing.T) {
	v := newTestVerifier(t)
	for _, d := range []time.Duration{-15 * time.Minute, 15 * time.Minute} {
		req, _ := http.NewRequest(http.MethodGet, "http://s3.example.com/bucket/key", nil)
		req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
		if err := awsSigner().SignHTTP(context.Background(), awsCreds, req, emptySHA256, "s3", testRegion, testNow); err != nil {
			t.Fatal(err)
		}
		mustVerify(t, v, wire(t, req), testNow.Add(d))
		extra := time.Second
		if d < 0 {
			extra = -extra
		}
		_, err := v.Verify(wire(t, req), testNow.Add(d+extra))
		wantErr(t, err, ErrRequestTimeTooSkewed)
	}
}

func TestAWSSignerSessionToken(t *testing.T) {
	v := newTestVerifier(t)
	sign := func(token string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, "http://s3.example.com/bucket/key", nil)
		req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
		creds := aws.Credentials{AccessKeyID: "AKIDSESSION", SecretAccessKey: testSK, SessionToken: token}
		if err := awsSigner().SignHTTP(context.Background(), creds, req, emptySHA256, "s3", testRegion, testNow); err != nil {
			t.Fatal(err)
		}
		return wire(t, req)
	}
	mustVerify(t, v, sign("session-token"), testNow)
	_, err := v.Verify(sign("other-token"), testNow)
	wantErr(t, err, ErrInvalidToken)
	_, err = v.Verify(sign(""), testNow)
	wantErr(t, err, ErrInvalidToken)

	presign := func(token string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, "http://s3.example.com/bucket/key?X-Amz-Expires=60", nil)
		creds := aws.Credentials{AccessKeyID: "AKIDSESSION", SecretAccessKey: testSK, SessionToken: token}
		u, _, err := awsSigner().PresignHTTP(context.Background(), creds, req, unsignedPayload, "s3", testRegion, testNow)
		if err != nil {
			t.Fatal(err)
		}
		preq, _ := http.NewRequest(http.MethodGet, u, nil)
		return wire(t, preq)
	}
	mustVerify(t, v, presign("session-token"), testNow)
	_, err = v.Verify(presign("other-token"), testNow)
	wantErr(t, err, ErrInvalidToken)
}

func TestAWSSignerPresign(t *testing.T) {
	v := newTestVerifier(t)
	for _, path := range awkwardPaths {
		for _, query := range awkwardQueries[:4] {
			t.Run(path+"?"+query, func(t *testing.T) {
				u := "http://s3.example.com" + path + "?" + query
				if query != "" {
					u += "&"
				}
				req, err := http.NewRequest(http.MethodPut, u+"X-Amz-Expires=900", nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/octet-stream")
				req.Header.Set("X-Amz-Meta-Owner", "someone") // hoisted into the query
				signed, hdr, err := awsSigner().PresignHTTP(context.Background(), awsCreds, req, unsignedPayload, "s3", testRegion, testNow)
				if err != nil {
					t.Fatal(err)
				}
				body := []byte("presigned upload")
				use := func() *http.Request {
					preq, err := http.NewRequest(http.MethodPut, signed, bytes.NewReader(body))
					if err != nil {
						t.Fatal(err)
					}
					for k, vs := range hdr {
						if k != "Host" {
							preq.Header[k] = vs
						}
					}
					return wire(t, preq)
				}
				res, data := mustVerify(t, v, use(), testNow.Add(10*time.Minute))
				if !bytes.Equal(data, body) || !res.Presigned || res.Payload != PayloadUnsigned ||
					!res.Expires.Equal(testNow.Add(15*time.Minute)) {
					t.Errorf("result = %+v, body %q", res, data)
				}

				_, err = v.Verify(use(), testNow.Add(15*time.Minute+time.Second))
				wantErr(t, err, ErrRequestExpired)
				_, err = v.Verify(use(), testNow.Add(-16*time.Minute))
				wantErr(t, err, ErrRequestNotYetValid)

				tampered, _ := url.Parse(signed)
				q := tampered.Query()
				q.Set("X-Amz-Meta-Owner", "someone-else")
				tampered.RawQuery = q.Encode()
				treq, _ := http.NewRequest(http.MethodPut, tampered.String(), bytes.NewReader(body))
				treq.Header.Set("Content-Type", "application/octet-stream")
				_, err = v.Verify(wire(t, treq), testNow)
				wantErr(t, err, ErrSignatureDoesNotMatch)
			})
		}
	}
}

func TestAWSSignerPresignParameters(t *testing.T) {
	v := newTestVerifier(t)
	presign := func(expires string) string {
		req, _ := http.NewRequest(http.MethodGet, "http://s3.example.com/bucket/key?X-Amz-Expires="+expires, nil)
		signed, _, err := awsSigner().PresignHTTP(context.Background(), awsCreds, req, unsignedPayload, "s3", testRegion, testNow)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	get := func(u string) error {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		return verifyErr(t, v, wire(t, req), testNow)
	}
	if err := get(presign("604800")); err != nil {
		t.Errorf("one week: %v", err)
	}
	for _, e := range []string{"0", "604801", "-1", "+5", "1e3", ""} {
		wantErr(t, get(presign(e)), ErrAuthorizationQueryParametersError)
	}
	u := presign("60")
	for name, mutate := range map[string]func(url.Values){
		"no credential":   func(q url.Values) { q.Del("X-Amz-Credential") },
		"no signature":    func(q url.Values) { q.Del("X-Amz-Signature") },
		"repeated date":   func(q url.Values) { q.Add("X-Amz-Date", q.Get("X-Amz-Date")) },
		"bad credential":  func(q url.Values) { q.Set("X-Amz-Credential", testAK+"/20240524/us-east-1/s3") },
		"bad signature":   func(q url.Values) { q.Set("X-Amz-Signature", "xyz") },
		"bad date":        func(q url.Values) { q.Set("X-Amz-Date", "20240524") },
		"wrong region":    func(q url.Values) { q.Set("X-Amz-Credential", testAK+"/20240524/mars-1/s3/aws4_request") },
		"no host signed":  func(q url.Values) { q.Set("X-Amz-SignedHeaders", "x-amz-date") },
		"streaming":       func(q url.Values) { q.Set("X-Amz-Content-Sha256", streamingSignedPayload) },
		"other algorithm": func(q url.Values) { q.Set("X-Amz-Algorithm", "AWS4-ECDSA-P256-SHA256") },
	} {
		t.Run(name, func(t *testing.T) {
			p, _ := url.Parse(u)
			q := p.Query()
			mutate(q)
			p.RawQuery = q.Encode()
			err := get(p.String())
			switch name {
			case "streaming":
				wantErr(t, err, ErrInvalidContentSHA256)
			case "other algorithm":
				wantErr(t, err, ErrUnsupportedAuthorization)
			default:
				wantErr(t, err, ErrAuthorizationQueryParametersError)
			}
		})
	}
	// The signature is excluded from the canonical query, but any other
	// change to it is caught.
	p, _ := url.Parse(u)
	q := p.Query()
	q.Set("X-Amz-Expires", "61")
	p.RawQuery = q.Encode()
	wantErr(t, get(p.String()), ErrSignatureDoesNotMatch)
}
