//go:build !race

package ssdalloc_test

const raceEnabled = false
