package localstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	"mapstore/localstore/volume"
	"mapstore/s3api"
	"mapstore/s3api/sigv4"
)

// How a body comes in. A small one (InlineMax bytes or less) is read
// whole and goes into its record. A large one streams: a data object is
// opened, each chunk of chunkSize bytes is read straight into a buffer
// that becomes the WriteData op as it is (no copy: SubZero's patch), and
// at most chunksInFlight chunks of one body wait to be applied while the
// next is read, so memory stays bounded whatever the size. The body is
// published by one small op once all of it is durable; anything that goes
// wrong before drops the data object.

const chunksInFlight = 8

// chunkSize is the size of a WriteData op, and of a reader's window: a
// run of the translation (1 MiB), so each chunk is one device write. Tests
// make it smaller.
var chunkSize int64 = 1 << 20

var chunkPool = newChunkPool()

func newChunkPool() *sync.Pool {
	return &sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}
}

// received is a body read into the store.
type received struct {
	inline []byte
	obj    uint64 // open data object, 0 for an inline body
	md5    [16]byte
	sum    s3api.Checksum
}

// receive reads exactly size bytes and the end of body, computing the MD5
// and, if alg is set, that checksum.
func (s *Store) receive(ctx context.Context, body io.Reader, size int64, alg sigv4.ChecksumAlgorithm) (*received, error) {
	md := md5.New()
	var ck hash.Hash
	w := io.Writer(md)
	if alg != "" {
		ck = alg.New()
		w = io.MultiWriter(md, ck)
	}
	rcv := &received{}
	var err error
	if size <= int64(s.opts.InlineMax) {
		var buf bytes.Buffer
		buf.Grow(int(size))
		var n int64
		n, err = io.Copy(io.MultiWriter(&buf, w), io.LimitReader(body, size+1))
		if err != nil {
			return nil, fmt.Errorf("localstore: reading body: %w", err)
		}
		if n != size {
			return nil, s3api.ErrIncompleteBody.With(fmt.Errorf("read %d bytes, want %d", n, size))
		}
		rcv.inline = buf.Bytes()
	} else if err = s.stream(ctx, body, size, w, rcv); err != nil {
		return nil, err
	}
	copy(rcv.md5[:], md.Sum(nil))
	if ck != nil {
		rcv.sum = s3api.Checksum{Algorithm: alg, Value: base64.StdEncoding.EncodeToString(ck.Sum(nil))}
	}
	return rcv, nil
}

// stream writes a large body into a new data object.
func (s *Store) stream(ctx context.Context, body io.Reader, size int64, w io.Writer, rcv *received) (err error) {
	if size > s.freeBytes() {
		// Refused before reading a byte: it could not fit. (Whether it
		// fits is decided again, chunk by chunk, as it is written.)
		return s3api.ErrStorageFull
	}
	res, err := s.propose(context.WithoutCancel(ctx), Op{Kind: OpOpenData})
	if err != nil {
		return err
	}
	if res[0].Err != nil {
		return res[0].Err
	}
	obj := res[0].Obj
	type chunk struct {
		p   Proposal
		buf *[]byte
	}
	var inflight []chunk
	settle := func(c chunk) error {
		res, err := c.p.Wait(context.Background()) // the buffer is the op's until applied
		chunkPool.Put(c.buf)
		if err == nil {
			err = res[0].Err
		}
		return err
	}
	defer func() {
		for _, c := range inflight {
			if e := settle(c); err == nil {
				err = e
			}
		}
		if err != nil {
			s.prop.Propose([]Op{{Kind: OpDropData, Obj: obj}}).Wait(context.Background())
			return
		}
		rcv.obj = obj
	}()
	var block uint64
	for left := size; left > 0; {
		if err := ctx.Err(); err != nil {
			return err
		}
		buf := chunkPool.Get().(*[]byte)
		n := int(min(left, chunkSize))
		if _, err := io.ReadFull(body, (*buf)[:n]); err != nil {
			chunkPool.Put(buf)
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return s3api.ErrIncompleteBody.With(fmt.Errorf("body ended %d bytes short of %d: %w", left, size, err))
			}
			return fmt.Errorf("localstore: reading body: %w", err)
		}
		w.Write((*buf)[:n])
		ops := []Op{{Kind: OpWriteData, Obj: obj, Block: block, Data: (*buf)[:n]}}
		if err := s.checkRoom(ops); err != nil {
			chunkPool.Put(buf)
			return err
		}
		p := s.prop.Propose(ops)
		inflight = append(inflight, chunk{p, buf})
		block += uint64(n+volume.BlockSize-1) / volume.BlockSize
		left -= int64(n)
		if len(inflight) >= chunksInFlight {
			c := inflight[0]
			inflight = inflight[1:]
			if err := settle(c); err != nil {
				return err
			}
		}
	}
	var one [1]byte
	if n, err := io.ReadFull(body, one[:]); n > 0 {
		return s3api.ErrIncompleteBody.With(fmt.Errorf("body longer than %d bytes", size))
	} else if err != io.EOF {
		return fmt.Errorf("localstore: reading body: %w", err)
	}
	return nil
}

// freeBytes is how much data the device can take now, short of the
// reserve kept for records.
func (s *Store) freeBytes() int64 {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	if s.failed != nil {
		return 0
	}
	total, used := s.vol.Blocks()
	return (total - used - reserveBlocks(total)) * volume.BlockSize
}
