package hashfs

// NewTranslationStripes is NewTranslation with stripes of 1<<shift slots,
// so that tests on small tables cross stripe boundaries often.
func NewTranslationStripes(d *Durable, frames int, shift uint) *Translation {
	return newTranslation(d, frames, shift)
}
