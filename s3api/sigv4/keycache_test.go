package sigv4

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestKeyCacheSecretRotation(t *testing.T) {
	var secret atomic.Value
	secret.Store("old-secret")
	v, err := NewVerifier(Config{Credentials: CredentialsFunc(func(_ context.Context, ak string) (Credentials, error) {
		return Credentials{SecretAccessKey: secret.Load().(string)}, nil
	})})
	if err != nil {
		t.Fatal(err)
	}
	sign := func(s string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, "http://s3.example.com/b/k", nil)
		req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
		creds := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: s}
		if err := awsSigner().SignHTTP(context.Background(), creds, req, emptySHA256, "s3", testRegion, testNow); err != nil {
			t.Fatal(err)
		}
		return wire(t, req)
	}
	mustVerify(t, v, sign("old-secret"), testNow)
	secret.Store("new-secret")
	_, err = v.Verify(sign("old-secret"), testNow)
	wantErr(t, err, ErrSignatureDoesNotMatch)
	mustVerify(t, v, sign("new-secret"), testNow)
}

func TestKeyCacheBounded(t *testing.T) {
	c := newKeyCache(3)
	for i := 0; i < 10; i++ {
		s := scope{date: "20240524", region: string(rune('a' + i)), service: "s3"}
		k := c.signingKey(Credentials{AccessKeyID: "ak", SecretAccessKey: "sk"}, s)
		if want := deriveSigningKey("sk", s); string(k) != string(want) {
			t.Fatalf("key %d wrong", i)
		}
	}
	if len(c.entries) > 3 {
		t.Errorf("%d entries", len(c.entries))
	}
}

// Many requests verified at once through one Verifier with a tiny key
// cache; run with -race.
func TestConcurrentVerify(t *testing.T) {
	v := newTestVerifier(t, func(c *Config) { c.KeyCacheSize = 1 })
	regions := []string{testRegion, "eu-west-1"}
	var reqs [][]byte
	for i := 0; i < 8; i++ {
		req, _ := http.NewRequest(http.MethodGet, "http://s3.example.com/b/k", nil)
		req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
		if err := awsSigner().SignHTTP(context.Background(), awsCreds, req, emptySHA256, "s3", regions[i%2], testNow); err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, []byte(req.Header.Get("Authorization")))
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				r, _ := http.NewRequest(http.MethodGet, "http://s3.example.com/b/k", nil)
				r.Header.Set("X-Amz-Content-Sha256", emptySHA256)
				r.Header.Set("X-Amz-Date", testNow.Format(iso8601Basic))
				r.Header.Set("Authorization", string(reqs[(g+i)%len(reqs)]))
				if _, err := v.Verify(r, testNow); err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}
