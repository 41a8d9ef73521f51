//go:build race

package s3test

// raceEnabled shrinks the bulkiest tests under the race detector, which
// slows the server down several times.
const raceEnabled = true
