package sigv4

import (
	"crypto/sha256"
	"sync"
)

// keyCache memoises derived signing keys per (access key, date, region,
// service). A signing key only changes daily, while deriving it costs four
// HMACs per request. Entries remember a fingerprint of the secret so a
// rotated secret never reuses a stale key. When full, an arbitrary entry is
// evicted.
type keyCache struct {
	mu      sync.Mutex
	max     int
	entries map[keyCacheID]keyCacheEntry
}

type keyCacheID struct {
	accessKeyID string
	scope       scope
}

type keyCacheEntry struct {
	secretSum [sha256.Size]byte
	key       []byte
}

func newKeyCache(max int) *keyCache {
	return &keyCache{max: max, entries: make(map[keyCacheID]keyCacheEntry)}
}

// signingKey returns the signing key for creds in scope s. The returned
// slice must not be modified.
func (c *keyCache) signingKey(creds Credentials, s scope) []byte {
	id := keyCacheID{accessKeyID: creds.AccessKeyID, scope: s}
	sum := sha256.Sum256([]byte(creds.SecretAccessKey))
	if c.max <= 0 {
		return deriveSigningKey(creds.SecretAccessKey, s)
	}

	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && e.secretSum == sum {
		return e.key
	}

	key := deriveSigningKey(creds.SecretAccessKey, s)
	c.mu.Lock()
	if _, exists := c.entries[id]; !exists && len(c.entries) >= c.max {
		for victim := range c.entries {
			delete(c.entries, victim)
			break
		}
	}
	c.entries[id] = keyCacheEntry{secretSum: sum, key: key}
	c.mu.Unlock()
	return key
}
