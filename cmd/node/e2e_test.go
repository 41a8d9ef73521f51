package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCLIClients drives a real `mapstore serve` with the command-line S3
// clients people use: awscli, s3cmd and rclone. Each one creates and
// lists a bucket, puts and gets objects, reads a byte range, lists with a
// prefix and a delimiter, uploads 64 MiB in parts, copies server-side and
// deletes everything, comparing every byte that comes back (SHA-256).
//
// A client that is not installed is skipped with a loud banner; with
// MAPSTORE_E2E_REQUIRE_CLIENTS=1 (set by .ci/run) it fails instead.
// Install them with: apt-get install -y awscli s3cmd rclone
func TestCLIClients(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test with CLI clients skipped in -short mode")
	}
	work := t.TempDir()
	files := makeFiles(t, work)
	creds := credentials{"E2EACCESSKEY0000TEST", "e2e-secret-key-0123456789abcdefghijklmnop"}
	srv := startServer(t, filepath.Join(work, "data"),
		[]string{envAccessKey + "=" + creds.accessKey, envSecretKey + "=" + creds.secretKey},
		"--capacity", "1GiB", "--journal-size", "64MiB")

	for _, c := range []struct {
		name, bin string
		test      func(*cliTest)
	}{
		{"awscli", "aws", testAWSCLI},
		{"s3cmd", "s3cmd", testS3cmd},
		{"rclone", "rclone", testRclone},
	} {
		t.Run(c.name, func(t *testing.T) {
			bin, err := exec.LookPath(c.bin)
			if err != nil {
				banner := fmt.Sprintf("!!! %s NOT INSTALLED: %s end-to-end test NOT RUN !!! (apt-get install -y %s)", c.bin, c.name, c.name)
				t.Log(strings.Repeat("!", len(banner)))
				t.Log(banner)
				t.Log(strings.Repeat("!", len(banner)))
				if os.Getenv("MAPSTORE_E2E_REQUIRE_CLIENTS") != "" {
					t.Fatalf("MAPSTORE_E2E_REQUIRE_CLIENTS is set and %s is not installed", c.bin)
				}
				t.Skipf("%s not installed", c.bin)
			}
			t.Logf("client: %s", bin)
			home := t.TempDir()
			start := time.Now()
			c.test(&cliTest{
				t: t, bin: bin, files: files, home: home, out: t.TempDir(), srv: srv,
				endpoint: srv.endpoint, hostPort: strings.TrimPrefix(srv.endpoint, "http://"),
				creds: creds, bucket: "e2e-" + c.name,
				env: cleanEnv(home),
			})
			// Clients tolerate some failures (s3cmd cp tries PutObjectAcl,
			// which is documented as not implemented): fail on server
			// errors, show the unimplemented.
			for _, r := range srv.requests(func(r request) bool { return r.Bucket == "e2e-"+c.name && r.Status >= 500 }) {
				if r.Status == 501 {
					t.Logf("not implemented (tolerated by %s): %+v", c.name, r)
				} else {
					t.Errorf("server error: %+v", r)
				}
			}
			t.Logf("%s: %v", c.name, time.Since(start).Round(time.Millisecond))
		})
	}
	srv.stop()
}

// testFiles are the local files uploaded by every client.
type testFiles struct {
	small string // 300,001 bytes
	big   string // 64 MiB: uploaded in parts
	data  []byte // small's content
}

const (
	smallSize = 300_001
	bigSize   = 64 << 20
	partSize  = 16 << 20 // 4 parts of the big file
	rangeFrom = 1000     // the range read: bytes rangeFrom..rangeTo
	rangeTo   = 200_999
)

// makeFiles writes the test files from a seeded PRNG, once for all
// clients.
func makeFiles(t *testing.T, dir string) testFiles {
	rng := rand.NewChaCha8([32]byte{'m', 'a', 'p', 's', 't', 'o', 'r', 'e'})
	f := testFiles{small: filepath.Join(dir, "small.bin"), big: filepath.Join(dir, "big.bin")}
	f.data = make([]byte, smallSize)
	rng.Read(f.data)
	big := make([]byte, bigSize)
	rng.Read(big)
	if err := os.WriteFile(f.small, f.data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.big, big, 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// cliTest runs one client's commands against the server.
type cliTest struct {
	t        *testing.T
	bin      string
	env      []string // the whole environment of the client
	home     string   // its HOME and config directory
	out      string   // where downloads go
	files    testFiles
	endpoint string // http://127.0.0.1:port
	hostPort string
	creds    credentials
	bucket   string
	srv      *server
}

// run runs the client with args and returns its stdout; a non-zero exit
// fails the test with the command and everything it printed.
func (c *cliTest) run(args ...string) []byte {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = c.env
	cmd.Dir = c.home
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(c.bin), strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.Bytes()
}

// download is the path of a new file in the download directory.
func (c *cliTest) download(name string) string {
	return filepath.Join(c.out, name)
}

// sameFile fails unless got has the content of want.
func (c *cliTest) sameFile(want, got string) {
	c.t.Helper()
	if w, g := fileSHA256(c.t, want), fileSHA256(c.t, got); w != g {
		c.t.Errorf("%s differs from %s: SHA-256 %s, want %s", got, want, g, w)
	}
}

// sameRange fails unless got is bytes rangeFrom..rangeTo of the small file.
func (c *cliTest) sameRange(got []byte) {
	c.t.Helper()
	want := c.files.data[rangeFrom : rangeTo+1]
	if !bytes.Equal(got, want) {
		c.t.Errorf("range %d-%d: got %d bytes (SHA-256 %x), want %d (SHA-256 %x)",
			rangeFrom, rangeTo, len(got), sha256.Sum256(got), len(want), sha256.Sum256(want))
	}
}

// checkOps fails unless the server logged n successful requests of
// operation op on key in the client's bucket.
func (c *cliTest) checkOps(op, key string, n int) {
	c.t.Helper()
	got := c.srv.requests(func(r request) bool {
		return r.Op == op && r.Bucket == c.bucket && r.Key == key && r.Status == 200
	})
	if len(got) != n {
		c.t.Errorf("server logged %d successful %s requests for %s, want %d", len(got), op, key, n)
	}
}

// listKeys are put by every client to list them with prefix "dir/" and
// delimiter "/": two objects and one common prefix.
var listKeys = []string{"dir/a.txt", "dir/small.bin", "dir/sub/c.bin", "top.bin"}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func (c *cliTest) writeConfig(name, content string) string {
	path := filepath.Join(c.home, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		c.t.Fatal(err)
	}
	return path
}

// checkList fails unless the listing of "dir/" with delimiter "/" found
// exactly the objects dir/a.txt and dir/small.bin and the prefix dir/sub/.
func (c *cliTest) checkList(keys, prefixes []string) {
	c.t.Helper()
	slices.Sort(keys)
	if want := []string{"dir/a.txt", "dir/small.bin"}; !slices.Equal(keys, want) {
		c.t.Errorf("list prefix dir/ delimiter /: objects %q, want %q", keys, want)
	}
	if want := []string{"dir/sub/"}; !slices.Equal(prefixes, want) {
		c.t.Errorf("list prefix dir/ delimiter /: common prefixes %q, want %q", prefixes, want)
	}
}

// testAWSCLI: aws s3 and aws s3api, configured by environment variables
// and a config file that lowers the multipart threshold to 16 MiB.
func testAWSCLI(c *cliTest) {
	cfg := c.writeConfig("aws-config", fmt.Sprintf(`[default]
region = us-east-1
s3 =
    multipart_threshold = %d
    multipart_chunksize = %d
    max_concurrent_requests = 4
`, partSize, partSize))
	c.env = append(c.env,
		"AWS_ACCESS_KEY_ID="+c.creds.accessKey,
		"AWS_SECRET_ACCESS_KEY="+c.creds.secretKey,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+cfg,
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(c.home, "no-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=1", // a retry could hide a failure
		"AWS_PAGER=",
	)
	aws := func(args ...string) []byte {
		c.t.Helper()
		return c.run(append([]string{"--endpoint-url", c.endpoint}, args...)...)
	}
	b := "s3://" + c.bucket

	// Bucket create and list.
	aws("s3", "mb", b)
	var buckets struct{ Buckets []struct{ Name string } }
	if err := json.Unmarshal(aws("s3api", "list-buckets", "--output", "json"), &buckets); err != nil {
		c.t.Fatal(err)
	}
	if !slices.ContainsFunc(buckets.Buckets, func(x struct{ Name string }) bool { return x.Name == c.bucket }) {
		c.t.Errorf("list-buckets: %+v lacks %s", buckets, c.bucket)
	}

	// Put, get, range get.
	for _, k := range listKeys {
		aws("s3", "cp", "--only-show-errors", c.files.small, b+"/"+k)
	}
	aws("s3", "cp", "--only-show-errors", b+"/dir/small.bin", c.download("small"))
	c.sameFile(c.files.small, c.download("small"))
	aws("s3api", "get-object", "--bucket", c.bucket, "--key", "dir/small.bin",
		"--range", fmt.Sprintf("bytes=%d-%d", rangeFrom, rangeTo), c.download("range"))
	got, err := os.ReadFile(c.download("range"))
	if err != nil {
		c.t.Fatal(err)
	}
	c.sameRange(got)

	// List with prefix and delimiter.
	var list struct {
		Contents       []struct{ Key string }
		CommonPrefixes []struct{ Prefix string }
	}
	if err := json.Unmarshal(aws("s3api", "list-objects-v2", "--bucket", c.bucket, "--prefix", "dir/", "--delimiter", "/", "--output", "json"), &list); err != nil {
		c.t.Fatal(err)
	}
	var keys, prefixes []string
	for _, o := range list.Contents {
		keys = append(keys, o.Key)
	}
	for _, p := range list.CommonPrefixes {
		prefixes = append(prefixes, p.Prefix)
	}
	c.checkList(keys, prefixes)

	// Multipart upload (4 parts of 16 MiB), get.
	aws("s3", "cp", "--only-show-errors", c.files.big, b+"/big.bin")
	c.checkOps("UploadPart", "big.bin", 4)
	var head struct{ ETag string }
	if err := json.Unmarshal(aws("s3api", "head-object", "--bucket", c.bucket, "--key", "big.bin", "--output", "json"), &head); err != nil {
		c.t.Fatal(err)
	}
	if !strings.HasSuffix(strings.Trim(head.ETag, `"`), "-4") {
		c.t.Errorf("big.bin ETag %s: want a multipart ETag of 4 parts", head.ETag)
	}
	aws("s3", "cp", "--only-show-errors", b+"/big.bin", c.download("big"))
	c.sameFile(c.files.big, c.download("big"))

	// Copy: above the threshold, aws s3 cp copies in parts (UploadPartCopy);
	// s3api copy-object is a single CopyObject.
	aws("s3", "cp", "--only-show-errors", b+"/big.bin", b+"/copy/big.bin")
	c.checkOps("UploadPartCopy", "copy/big.bin", 4)
	aws("s3", "cp", "--only-show-errors", b+"/copy/big.bin", c.download("big-copy"))
	c.sameFile(c.files.big, c.download("big-copy"))
	aws("s3api", "copy-object", "--bucket", c.bucket, "--key", "copy/small.bin", "--copy-source", c.bucket+"/dir/small.bin")
	aws("s3", "cp", "--only-show-errors", b+"/copy/small.bin", c.download("small-copy"))
	c.sameFile(c.files.small, c.download("small-copy"))

	// Delete.
	aws("s3api", "delete-object", "--bucket", c.bucket, "--key", "top.bin")
	aws("s3", "rm", "--only-show-errors", "--recursive", b)
	aws("s3", "rb", b)
	if out := aws("s3", "ls"); strings.Contains(string(out), c.bucket) {
		c.t.Errorf("bucket %s still listed after rb:\n%s", c.bucket, out)
	}
}

// testS3cmd: s3cmd with a config file naming the server, path style.
func testS3cmd(c *cliTest) {
	cfg := c.writeConfig("s3cfg", fmt.Sprintf(`[default]
access_key = %s
secret_key = %s
host_base = %s
host_bucket = %s
use_https = False
signature_v2 = False
bucket_location = us-east-1
check_ssl_certificate = False
progress_meter = False
max_retries = 1
`, c.creds.accessKey, c.creds.secretKey, c.hostPort, c.hostPort))
	s3cmd := func(args ...string) []byte {
		c.t.Helper()
		return c.run(append([]string{"-c", cfg}, args...)...)
	}
	b := "s3://" + c.bucket

	// Bucket create and list.
	s3cmd("mb", b)
	if out := s3cmd("ls"); !strings.Contains(string(out), b) {
		c.t.Errorf("s3cmd ls lacks %s:\n%s", b, out)
	}

	// Put, get, range get: --continue resumes a partial download with
	// a Range request for the rest.
	for _, k := range listKeys {
		s3cmd("put", c.files.small, b+"/"+k)
	}
	s3cmd("get", b+"/dir/small.bin", c.download("small"))
	c.sameFile(c.files.small, c.download("small"))
	if err := os.WriteFile(c.download("partial"), c.files.data[:rangeFrom], 0o644); err != nil {
		c.t.Fatal(err)
	}
	s3cmd("get", "--continue", b+"/dir/small.bin", c.download("partial"))
	c.sameFile(c.files.small, c.download("partial"))

	// List with prefix and delimiter: s3cmd ls without --recursive.
	var keys, prefixes []string
	for _, line := range strings.Split(strings.TrimSpace(string(s3cmd("ls", b+"/dir/"))), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		name := strings.TrimPrefix(fields[len(fields)-1], b+"/")
		if fields[0] == "DIR" {
			prefixes = append(prefixes, name)
		} else {
			keys = append(keys, name)
		}
	}
	c.checkList(keys, prefixes)

	// Multipart upload (4 parts of 16 MiB), get.
	s3cmd("put", fmt.Sprintf("--multipart-chunk-size-mb=%d", partSize>>20), c.files.big, b+"/big.bin")
	c.checkOps("UploadPart", "big.bin", 4)
	s3cmd("get", b+"/big.bin", c.download("big"))
	c.sameFile(c.files.big, c.download("big"))

	// Copy (CopyObject), get.
	s3cmd("cp", b+"/big.bin", b+"/copy/big.bin")
	s3cmd("get", b+"/copy/big.bin", c.download("big-copy"))
	c.sameFile(c.files.big, c.download("big-copy"))

	// Delete: one object, then the rest (DeleteObjects), then the bucket.
	s3cmd("del", b+"/top.bin")
	s3cmd("del", "--recursive", "--force", b)
	s3cmd("rb", b)
	if out := s3cmd("ls"); strings.Contains(string(out), b) {
		c.t.Errorf("bucket %s still listed after rb:\n%s", b, out)
	}
}

// testRclone: rclone with a remote "ms" defined by RCLONE_CONFIG_MS_*
// environment variables.
func testRclone(c *cliTest) {
	c.env = append(c.env,
		"RCLONE_CONFIG="+filepath.Join(c.home, "rclone.conf"), // empty: only env remotes
		"RCLONE_CONFIG_MS_TYPE=s3",
		"RCLONE_CONFIG_MS_PROVIDER=Other",
		"RCLONE_CONFIG_MS_ACCESS_KEY_ID="+c.creds.accessKey,
		"RCLONE_CONFIG_MS_SECRET_ACCESS_KEY="+c.creds.secretKey,
		"RCLONE_CONFIG_MS_ENDPOINT="+c.endpoint,
		"RCLONE_CONFIG_MS_REGION=us-east-1",
		"RCLONE_CONFIG_MS_FORCE_PATH_STYLE=true",
		"RCLONE_RETRIES=1", // a retry could hide a failure
		"RCLONE_LOW_LEVEL_RETRIES=1",
	)
	c.writeConfig("rclone.conf", "")
	rclone := c.run
	b := "ms:" + c.bucket

	// Bucket create and list.
	rclone("mkdir", b)
	if out := rclone("lsf", "ms:"); !slices.Contains(strings.Split(string(out), "\n"), c.bucket+"/") {
		c.t.Errorf("rclone lsf ms: lacks %s:\n%s", c.bucket, out)
	}

	// Put, get, range get.
	for _, k := range listKeys {
		rclone("copyto", c.files.small, b+"/"+k)
	}
	rclone("copyto", b+"/dir/small.bin", c.download("small"))
	c.sameFile(c.files.small, c.download("small"))
	c.sameRange(rclone("cat", "--offset", fmt.Sprint(rangeFrom), "--count", fmt.Sprint(rangeTo-rangeFrom+1), b+"/dir/small.bin"))

	// List with prefix and delimiter: lsf of a directory, not recursive.
	var keys, prefixes []string
	for _, name := range strings.Fields(string(rclone("lsf", b+"/dir"))) {
		if strings.HasSuffix(name, "/") {
			prefixes = append(prefixes, "dir/"+name)
		} else {
			keys = append(keys, "dir/"+name)
		}
	}
	c.checkList(keys, prefixes)

	// Multipart upload (4 parts of 16 MiB), get.
	part := fmt.Sprintf("%dM", partSize>>20)
	rclone("copyto", "--s3-upload-cutoff", part, "--s3-chunk-size", part, c.files.big, b+"/big.bin")
	c.checkOps("UploadPart", "big.bin", 4)
	rclone("copyto", b+"/big.bin", c.download("big"))
	c.sameFile(c.files.big, c.download("big"))

	// Server-side copy in parts (UploadPartCopy above --s3-copy-cutoff).
	rclone("copyto", "--s3-copy-cutoff", part, b+"/big.bin", b+"/copy/big.bin")
	c.checkOps("UploadPartCopy", "copy/big.bin", 4)
	rclone("copyto", b+"/copy/big.bin", c.download("big-copy"))
	c.sameFile(c.files.big, c.download("big-copy"))

	// Delete: one object, then everything with the bucket.
	rclone("deletefile", b+"/top.bin")
	if out := rclone("lsf", b); strings.Contains(string(out), "top.bin") {
		c.t.Errorf("top.bin still listed after deletefile:\n%s", out)
	}
	rclone("purge", b)
	if out := rclone("lsf", "ms:"); strings.Contains(string(out), c.bucket) {
		c.t.Errorf("bucket %s still listed after purge:\n%s", c.bucket, out)
	}
}
