//go:build race

package localstore_test

// raceEnabled says the test binary, and so the server process it starts,
// runs under the race detector.
const raceEnabled = true
