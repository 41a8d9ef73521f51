package vfs

// errorFile is a File of an error-injecting FS.
type errorFile struct {
	f   File
	inj Injector
}

var _ File = (*errorFile)(nil)

func (e *errorFile) op(kind OpKind, off int64, n int) Op {
	return Op{Kind: kind, Path: e.f.Name(), Offset: off, Len: n}
}

func (e *errorFile) ReadAt(p []byte, off int64) (int, error) {
	if err := maybeError(e.inj, e.op(OpRead, off, len(p))); err != nil {
		return 0, err
	}
	return e.f.ReadAt(p, off)
}

func (e *errorFile) WriteAt(p []byte, off int64) (int, error) {
	if err := maybeError(e.inj, e.op(OpWrite, off, len(p))); err != nil {
		return 0, err
	}
	return e.f.WriteAt(p, off)
}

func (e *errorFile) WriteV(bufs [][]byte, off int64) (int, error) {
	n := 0
	for _, b := range bufs {
		n += len(b)
	}
	if err := maybeError(e.inj, e.op(OpWrite, off, n)); err != nil {
		return 0, err
	}
	return e.f.WriteV(bufs, off)
}

func (e *errorFile) ReadV(bufs [][]byte, off int64) (int, error) {
	n := 0
	for _, b := range bufs {
		n += len(b)
	}
	if err := maybeError(e.inj, e.op(OpRead, off, n)); err != nil {
		return 0, err
	}
	return e.f.ReadV(bufs, off)
}

func (e *errorFile) Sync() error {
	if err := maybeError(e.inj, e.op(OpSync, 0, 0)); err != nil {
		return err
	}
	return e.f.Sync()
}

func (e *errorFile) Datasync() error {
	if err := maybeError(e.inj, e.op(OpDatasync, 0, 0)); err != nil {
		return err
	}
	return e.f.Datasync()
}

func (e *errorFile) Truncate(size int64) error {
	if err := maybeError(e.inj, e.op(OpTruncate, size, 0)); err != nil {
		return err
	}
	return e.f.Truncate(size)
}

func (e *errorFile) Allocate(off, n int64) error {
	if err := maybeError(e.inj, e.op(OpAllocate, off, int(n))); err != nil {
		return err
	}
	return e.f.Allocate(off, n)
}

func (e *errorFile) Size() (int64, error) {
	if err := maybeError(e.inj, e.op(OpSize, 0, 0)); err != nil {
		return 0, err
	}
	return e.f.Size()
}

// Close asks the injector but, unlike every other operation, closes the
// underlying file even when told to fail: like close(2), which releases
// the descriptor whatever it returns. A test that injects close errors
// thus leaks nothing, and closing never changes what is durable.
func (e *errorFile) Close() error {
	err := maybeError(e.inj, e.op(OpClose, 0, 0))
	cerr := e.f.Close()
	if err != nil {
		return err
	}
	return cerr
}

func (e *errorFile) Fd() uintptr  { return e.f.Fd() }
func (e *errorFile) Name() string { return e.f.Name() }
