package s3api_test

import (
	"testing"

	"mapstore/s3api"
	"mapstore/s3api/s3test"
)

// TestConformance runs the conformance suite against the in-memory test
// Backend: it tests the Server, and the suite itself.
func TestConformance(t *testing.T) {
	s3test.Run(t, func(t *testing.T) s3api.Backend { return newMemBackend() })
}
