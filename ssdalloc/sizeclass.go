package ssdalloc

import "fmt"

const (
	// ClassStep is the width of a size class: pools serve sizes in 0.5 KiB
	// steps, so an object wastes less than 512 bytes of its slot.
	ClassStep = 512
	// MaxObject is the largest object a pool serves; larger bodies are
	// stored in blocks of their own.
	MaxObject = 64 << 10
	// NumClasses is the number of size classes.
	NumClasses = MaxObject / ClassStep
)

// classOf returns the size class of an object of size bytes: class c
// holds sizes in (c*512, (c+1)*512], and class 0 also holds empty objects.
func classOf(size int) (int, error) {
	if size < 0 || size > MaxObject {
		return 0, fmt.Errorf("%w: %d bytes (the largest is %d)", ErrTooLarge, size, MaxObject)
	}
	if size == 0 {
		return 0, nil
	}
	return (size - 1) / ClassStep, nil
}

// classSize is the slot size of class c: the largest object it holds.
func classSize(c int) int { return (c + 1) * ClassStep }
