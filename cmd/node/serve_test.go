package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestServeProcess runs the binary: first start with generated
// credentials, a PUT and GET with aws-sdk-go-v2, SIGTERM during an
// upload (which must complete), exit status 0, and a restart that reuses
// the credentials silently, keeps the device's size and still has the
// data.
func TestServeProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	dir := filepath.Join(t.TempDir(), "data")
	flags := []string{"--capacity", "256MiB", "--journal-size", "16MiB", "--shutdown-timeout", "20s"}

	srv := startServer(t, dir, nil, flags...)
	if !strings.Contains(srv.logs.String(), "generated new credentials") {
		t.Errorf("first start did not print the generated credentials:\n%s", srv.logs.String())
	}
	creds, err := readCredentials(filepath.Join(dir, credentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(srv.logs.String(), "AWS_SECRET_ACCESS_KEY="+creds.secretKey) {
		t.Errorf("the printed credentials are not the stored ones")
	}
	client := sdkClient(srv.endpoint, creds)
	ctx := context.Background()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("proc")}); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("mapstore "), 100_000)
	put(t, client, "proc", "first", body)
	if got := get(t, client, "proc", "first"); !bytes.Equal(got, body) {
		t.Fatalf("GET returned %d bytes, want the %d put", len(got), len(body))
	}

	// An upload in flight when SIGTERM arrives is allowed to finish.
	url := presignPut(t, client, "proc", "in-flight")
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPut, url, pr)
	req.ContentLength = int64(len(body))
	result := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = &httpError{resp.Status, string(b)}
			}
		}
		result <- err
	}()
	half := len(body) / 2
	if _, err := pw.Write(body[:half]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the server is reading the body
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, srv, "shutting down")
	if _, err := pw.Write(body[half:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if err := <-result; err != nil {
		t.Errorf("upload in flight during shutdown: %v", err)
	}
	srv.wait() // already signalled: a second SIGTERM would kill it

	// Second start: same credentials, nothing printed, data still there,
	// and the device keeps its size (--capacity is for new devices).
	srv = startServer(t, dir, nil, "--capacity", "512MiB")
	if fi, err := os.Stat(filepath.Join(dir, deviceFile)); err != nil {
		t.Error(err)
	} else if fi.Size() != 256<<20 {
		t.Errorf("after a restart with --capacity 512MiB, the 256MiB device file has %d bytes; an existing device must keep its size", fi.Size())
	}
	if strings.Contains(srv.logs.String(), "generated new credentials") || strings.Contains(srv.logs.String(), creds.secretKey) {
		t.Errorf("second start printed the credentials again:\n%s", srv.logs.String())
	}
	client = sdkClient(srv.endpoint, creds)
	for _, key := range []string{"first", "in-flight"} {
		if got := get(t, client, "proc", key); !bytes.Equal(got, body) {
			t.Errorf("after restart, %s has %d bytes, want the %d put", key, len(got), len(body))
		}
	}
	srv.stop()
}

// TestServeEnvCredentials: with MAPSTORE_ACCESS_KEY/SECRET_KEY set the
// server accepts them, generates nothing and rejects other keys.
func TestServeEnvCredentials(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	dir := filepath.Join(t.TempDir(), "data")
	creds := credentials{"ENVACCESSKEY00000000", "env-secret-key"}
	srv := startServer(t, dir, []string{envAccessKey + "=" + creds.accessKey, envSecretKey + "=" + creds.secretKey},
		"--capacity", "128MiB", "--journal-size", "8MiB")
	ctx := context.Background()
	if _, err := sdkClient(srv.endpoint, creds).ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
		t.Errorf("ListBuckets with the env credentials: %v", err)
	}
	if _, err := sdkClient(srv.endpoint, credentials{creds.accessKey, "wrong"}).ListBuckets(ctx, &s3.ListBucketsInput{}); err == nil {
		t.Errorf("ListBuckets with a wrong secret succeeded")
	}
	if strings.Contains(srv.logs.String(), "generated new credentials") {
		t.Errorf("credentials generated although set in the environment")
	}
	if _, err := readCredentials(filepath.Join(dir, credentialsFile)); err == nil {
		t.Errorf("a credentials file was written although they are set in the environment")
	}
	srv.stop()
}

func sdkClient(endpoint string, c credentials) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: c.accessKey, SecretAccessKey: c.secretKey}, nil
		}),
		RetryMaxAttempts: 1, // a retry could hide a failure
	})
}

func put(t *testing.T, c *s3.Client, bucket, key string, body []byte) {
	t.Helper()
	_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("PUT %s/%s: %v", bucket, key, err)
	}
}

func get(t *testing.T, c *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("GET %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GET %s/%s: reading the body: %v", bucket, key, err)
	}
	return b
}

func presignPut(t *testing.T, c *s3.Client, bucket, key string) string {
	t.Helper()
	req, err := s3.NewPresignClient(c).PresignPutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	return req.URL
}

// waitFor waits until the server has logged msg.
func waitFor(t *testing.T, s *server, msg string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(s.logs.String(), msg) {
		if time.Now().After(deadline) {
			t.Fatalf("server did not log %q within 30s", msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type httpError struct{ status, body string }

func (e *httpError) Error() string { return e.status + ": " + e.body }

// TestServeShutdownTimeout: an upload that does not finish within
// --shutdown-timeout is cut off, and the server still exits 0 with the
// store closed.
func TestServeShutdownTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	dir := filepath.Join(t.TempDir(), "data")
	creds := credentials{"SHUTDOWNTESTKEY00000", "secret"}
	srv := startServer(t, dir, []string{envAccessKey + "=" + creds.accessKey, envSecretKey + "=" + creds.secretKey},
		"--capacity", "128MiB", "--journal-size", "8MiB", "--shutdown-timeout", "300ms")
	client := sdkClient(srv.endpoint, creds)
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("slow")}); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPut, presignPut(t, client, "slow", "never-finished"), pr)
	req.ContentLength = 1 << 20
	result := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			err = &httpError{resp.Status, ""}
		}
		result <- err
	}()
	if _, err := pw.Write(make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	srv.stop()
	t.Logf("stop took %v", time.Since(start))
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("shutdown took %v with --shutdown-timeout 300ms", d)
	}
	pw.CloseWithError(io.ErrUnexpectedEOF) // the client's body writer may wait for this
	select {
	case err := <-result:
		if err == nil {
			t.Errorf("the unfinished upload succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Errorf("the unfinished upload did not return after the server exited")
	}
	if !strings.Contains(srv.logs.String(), "closing their connections") || !strings.Contains(srv.logs.String(), "store closed") {
		t.Errorf("log lacks the forced close or the store's closing:\n%s", srv.logs.String())
	}
}

// TestServeStartFails: a start that fails (the port is taken) exits with
// status 1, says why, and leaves no credentials behind that nobody saw.
func TestServeStartFails(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(mapstoreBinary(t), "serve", "--data-dir", dir, "--listen", taken.Addr().String(),
		"--capacity", "64MiB", "--journal-size", "4MiB")
	cmd.Env = cleanEnv(t.TempDir())
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != exitError || !strings.Contains(string(out), "address already in use") {
		t.Errorf("serve on a taken port: exit %d (%v), want 1 and the reason; output:\n%s", code, err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, credentialsFile)); !os.IsNotExist(err) {
		t.Errorf("a failed start left a credentials file (stat: %v)", err)
	}
}
