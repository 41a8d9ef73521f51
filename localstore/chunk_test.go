package localstore

import "testing"

// withChunkSize makes bodies stream in chunks of n bytes for the rest of
// the test, with a pool of buffers of that size (buffers pooled at the
// old size must not be handed out at the new one).
func withChunkSize(t testing.TB, n int64) {
	oldSize := chunkSize
	t.Cleanup(func() {
		chunkSize = oldSize
		chunkPool = newChunkPool()
	})
	chunkSize = n
	chunkPool = newChunkPool()
}
