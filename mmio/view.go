package mmio

// View is a zero-copy window onto part of a region.
//
// # Lifetime
//
// The slice returned by Bytes aliases the region's memory. It is valid from
// View until Release, and the region enforces that end: Close refuses to
// unmap while any view is held, and Bytes panics after Release. Do not keep
// the slice, or anything pointing into it, past Release.
//
// # Contents
//
// A view shows the region's current contents, including uncommitted writes,
// and changes if the range is written while the view is held; callers that
// need an immutable snapshot must not write the range meanwhile (localstore
// never rewrites blocks that readers hold). Reclaim may drop the pages
// under a view: that is invisible, because only pages whose home copy is
// current are dropped.
//
// # Faults
//
// On a mapped region, touching a page that is not resident faults it in,
// which stalls the goroutine's P; call Region.Prefetch first on hot paths.
// An I/O error during such a fault raises SIGBUS: read through ReadAt, or
// run the access under a recover with debug.SetPanicOnFault, where that
// matters.
type View struct {
	r    *Region
	b    []byte
	done bool
}

// View returns a zero-copy view of [off, off+n).
func (r *Region) View(off int64, n int) (*View, error) {
	if err := r.acquire(); err != nil {
		return nil, err
	}
	defer r.release()
	mem, err := r.span(off, n)
	if err != nil {
		return nil, err
	}
	r.views.Add(1)
	return &View{r: r, b: mem}, nil
}

// Bytes returns the viewed memory. It panics if the view was released.
func (v *View) Bytes() []byte {
	if v.done {
		panic("mmio: use of released view")
	}
	return v.b
}

// Release ends the view. Calling it twice is a no-op.
func (v *View) Release() {
	if v.done {
		return
	}
	v.done = true
	v.b = nil
	v.r.views.Add(-1)
}
