//go:build race

package hashfs_test

const raceEnabled = true
