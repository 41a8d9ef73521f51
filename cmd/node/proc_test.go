package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// This file runs the real binary: it builds `mapstore` once per test
// run, starts `mapstore serve` as a child process on a free port and
// stops it with SIGTERM, as an init system would.

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// mapstoreBinary builds the command once and returns its path. Under the
// race detector the server is built with it too.
func mapstoreBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "mapstore-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "mapstore")
		args := []string{"build", "-o", binPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// server is a running `mapstore serve`.
type server struct {
	t        *testing.T
	cmd      *exec.Cmd
	endpoint string        // http://127.0.0.1:port
	logs     *syncBuffer   // everything it wrote to stderr
	done     chan struct{} // closed when it has exited
	exitErr  error         // cmd.Wait's result, after done
}

// startServer runs `mapstore serve --data-dir dir --listen 127.0.0.1:0`
// with JSON logs, the given extra flags and environment (on top of a
// clean one), and waits until it serves.
func startServer(t *testing.T, dir string, env []string, flags ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--data-dir", dir, "--listen", "127.0.0.1:0", "--log-format", "json"}, flags...)
	cmd := exec.Command(mapstoreBinary(t), args...)
	cmd.Env = append(cleanEnv(os.Getenv("HOME")), env...)
	s := &server{t: t, cmd: cmd, logs: new(syncBuffer), done: make(chan struct{})}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		// Log records are JSON lines; the credentials banner is not.
		sc := bufio.NewScanner(io.TeeReader(stderr, s.logs))
		for sc.Scan() {
			var rec struct{ Msg, Endpoint string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "mapstore serving" {
				ready <- rec.Endpoint
			}
		}
		io.Copy(s.logs, stderr)
		s.exitErr = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("server log:\n%s", s.logs.String())
		}
	})
	select {
	case s.endpoint = <-ready:
		return s
	case <-s.done:
		t.Fatalf("mapstore serve exited before serving: %v\n%s", s.exitErr, s.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("mapstore serve not ready after 60s\n%s", s.logs.String())
	}
	return nil
}

// stop sends SIGTERM and requires a clean exit (status 0) within a minute.
func (s *server) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	s.wait()
}

// wait waits for the server to exit, which must be with status 0.
func (s *server) wait() {
	s.t.Helper()
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		s.t.Fatalf("mapstore serve still running a minute after SIGTERM")
	}
	if s.exitErr != nil {
		s.t.Fatalf("mapstore serve after SIGTERM: %v, want exit status 0\n%s", s.exitErr, s.logs.String())
	}
}

// cleanEnv is the test process's environment without anything that
// configures mapstore or an S3 client, and with HOME set to home, so that
// no user configuration (~/.aws, ~/.s3cfg, ~/.config/rclone) leaks in.
func cleanEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "MAPSTORE_"), strings.HasPrefix(name, "AWS_"),
			strings.HasPrefix(name, "RCLONE_"), strings.HasPrefix(name, "S3CMD"),
			name == "HOME", name == "XDG_CONFIG_HOME", name == "GOMEMLIMIT":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home)
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// request is what the server logs of one S3 request.
type request struct {
	Op, Method, Bucket, Key, Error string
	Status                         int
}

// requests returns the requests logged so far that match keep.
func (s *server) requests(keep func(request) bool) []request {
	var out []request
	for _, line := range strings.Split(s.logs.String(), "\n") {
		var r struct {
			Msg string
			request
		}
		if json.Unmarshal([]byte(line), &r) == nil && r.Msg == "s3 request" && keep(r.request) {
			out = append(out, r.request)
		}
	}
	return out
}
