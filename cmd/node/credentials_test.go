package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCredentialsGenerated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // does not exist yet
	c, source, err := resolveCredentials(dir, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if source != generated {
		t.Fatalf("first start: source %q, want %q", source, generated)
	}
	checkKey(t, "access key", c.accessKey, accessKeyLen, accessKeyAlphabet)
	checkKey(t, "secret key", c.secretKey, secretKeyLen, secretKeyAlphabet)
	path := filepath.Join(dir, credentialsFile)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("resolveCredentials stored what it generated (stat: %v); serve does that once it runs", err)
	}
	if err := writeCredentials(path, c); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("credentials file mode %v, want 0600", perm)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("data directory holds %d entries, want just the credentials file", len(entries))
	}

	// A second start reuses them.
	again, source, err := resolveCredentials(dir, envMap(nil))
	if err != nil || source != fromFile || again != c {
		t.Fatalf("second start: %+v from %q, %v; want %+v from the file", again, source, err, c)
	}

	// Environment variables win, and nothing is read or written.
	env := envMap(map[string]string{envAccessKey: "ENVKEY", envSecretKey: "envsecret"})
	os.WriteFile(path, []byte("garbage"), 0o600)
	got, source, err := resolveCredentials(dir, env)
	if err != nil || source != fromEnvironment || got != (credentials{"ENVKEY", "envsecret"}) {
		t.Fatalf("with env: %+v from %q, %v", got, source, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "garbage" {
		t.Errorf("with env set, the credentials file was rewritten")
	}
	// ... but without them, a damaged file is an error, not replaced.
	if _, _, err := resolveCredentials(dir, envMap(nil)); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("damaged file: err %v, want one naming %s", err, path)
	}
}

func TestCredentialsEnvOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	env := envMap(map[string]string{envAccessKey: "AK", envSecretKey: "SK"})
	if _, source, err := resolveCredentials(dir, env); err != nil || source != fromEnvironment {
		t.Fatalf("source %q, err %v", source, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("env credentials created the data directory (stat: %v)", err)
	}
}

func checkKey(t *testing.T, what, key string, n int, alphabet string) {
	t.Helper()
	if len(key) != n {
		t.Errorf("%s %q has %d characters, want %d", what, key, len(key), n)
	}
	for _, r := range key {
		if !strings.ContainsRune(alphabet, r) {
			t.Errorf("%s %q has %q, not in %s", what, key, r, alphabet)
		}
	}
}

func TestRandomStringUniform(t *testing.T) {
	// 36 symbols, 36000 draws: each count is near 1000. A fold-in bias
	// (byte % 36) would give the first 4 symbols about 8% more.
	s, err := randomString(36000, accessKeyAlphabet)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range accessKeyAlphabet {
		if n := strings.Count(s, string(r)); n < 850 || n > 1150 {
			t.Errorf("symbol %q drawn %d times in 36000, want about 1000", r, n)
		}
	}
}

func TestParseCredentials(t *testing.T) {
	in := "; comment\n# comment\n\n[default]\n aws_access_key_id=AK \naws_secret_access_key = S/K+=\nregion = x\n"
	c, err := parseCredentials(strings.NewReader(in))
	if err != nil || c != (credentials{"AK", "S/K+="}) {
		t.Errorf("parseCredentials = %+v, %v", c, err)
	}
	for _, bad := range []string{"", "[default]\naws_access_key_id = AK\n", "aws_access_key_id AK\n"} {
		if c, err := parseCredentials(strings.NewReader(bad)); err == nil {
			t.Errorf("parseCredentials(%q) = %+v, want an error", bad, c)
		}
	}
	var b bytes.Buffer
	printNewCredentials(&b, credentials{"AK", "SK"}, "/d/credentials", "http://127.0.0.1:9000", "us-east-1")
	for _, want := range []string{"AWS_ACCESS_KEY_ID=AK", "AWS_SECRET_ACCESS_KEY=SK", "aws --endpoint-url http://127.0.0.1:9000 s3 mb", "/d/credentials"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, b.String())
		}
	}
}
