package localstore_test

import (
	"testing"

	"mapstore/localstore"
	"mapstore/s3api"
	"mapstore/s3api/s3test"
)

// openTest opens a store in a temporary directory on the real file system.
func openTest(t testing.TB, opts localstore.Options) *localstore.Store {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.Capacity == 0 {
		opts.Capacity = 256 << 20
	}
	if opts.JournalSize == 0 {
		opts.JournalSize = 16 << 20
	}
	s, err := localstore.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestConformance runs the S3 conformance suite (aws-sdk-go-v2, minio-go
// and raw requests through the S3 server) against a store.
func TestConformance(t *testing.T) {
	s3test.Run(t, func(t *testing.T) s3api.Backend { return openTest(t, localstore.Options{}) })
}
