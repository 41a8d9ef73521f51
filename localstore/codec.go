package localstore

import (
	"fmt"

	"mapstore/s3api"
)

// A batch travels between nodes as one raft log entry:
//
//	+--------+------------+-----------+-----------+-----
//	| ver u8 | ops u32    | op 1      | op 2      | ...
//	+--------+------------+-----------+-----------+-----
//
//	op: kind u8 | bucket str | key str | time i64 | upload id str |
//	    part number u32 | if-match str | if-none-match str | meta |
//	    size i64 | md5 [16] | inline bytes | obj u64 | block u64 |
//	    data bytes | has src u8 [src] | parts u32 [number u32, etag str]...
//	src: bucket str | key str | version u64 | start i64 | length i64 | replace u8
//
// str and bytes are a u32 length and the bytes; meta is as in records.
// Integers are little-endian. A decoded WriteData op's Data is the
// entry's own bytes, not a copy (the entry outlives the Apply that uses
// them); everything kept after Apply is copied.

const batchVersion = 1

// EncodeBatch encodes a batch as a log entry.
func EncodeBatch(b *Batch) []byte {
	n := 5
	for i := range b.Ops {
		op := &b.Ops[i]
		n += 160 + len(op.Bucket) + len(op.Key) + len(op.UploadID) + len(op.Inline) + len(op.Data) + 32*len(op.Parts)
		if op.Src != nil {
			n += 48 + len(op.Src.Bucket) + len(op.Src.Key)
		}
	}
	e := enc{b: make([]byte, 0, n)}
	e.u8(batchVersion)
	e.u32(uint32(len(b.Ops)))
	for i := range b.Ops {
		op := &b.Ops[i]
		e.u8(uint8(op.Kind))
		e.str(op.Bucket)
		e.str(op.Key)
		e.i64(op.Time)
		e.str(op.UploadID)
		e.u32(uint32(op.PartNumber))
		e.str(op.Cond.IfMatch)
		e.str(op.Cond.IfNoneMatch)
		encodeMeta(&e, &op.Meta)
		e.i64(op.Size)
		e.b = append(e.b, op.MD5[:]...)
		e.bytes(op.Inline)
		e.u64(op.Obj)
		e.u64(op.Block)
		e.bytes(op.Data)
		if op.Src == nil {
			e.u8(0)
		} else {
			e.u8(1)
			e.str(op.Src.Bucket)
			e.str(op.Src.Key)
			e.u64(op.Src.Version)
			e.i64(op.Src.Start)
			e.i64(op.Src.Length)
			if op.Src.Replace {
				e.u8(1)
			} else {
				e.u8(0)
			}
		}
		e.u32(uint32(len(op.Parts)))
		for _, p := range op.Parts {
			e.u32(uint32(p.PartNumber))
			e.str(p.ETag)
		}
	}
	return e.b
}

// DecodeBatch decodes a log entry made by EncodeBatch. An entry that does
// not decode gives an error wrapping ErrBadOp.
func DecodeBatch(p []byte) (*Batch, error) {
	d := dec{b: p}
	if v := d.u8(); d.err == nil && v != batchVersion {
		return nil, fmt.Errorf("%w: batch version %d", ErrBadOp, v)
	}
	n := d.count(60)
	b := &Batch{Ops: make([]Op, n)}
	for i := range b.Ops {
		op := &b.Ops[i]
		op.Kind = OpKind(d.u8())
		op.Bucket = d.str()
		op.Key = d.str()
		op.Time = d.i64()
		op.UploadID = d.str()
		op.PartNumber = int(d.u32())
		op.Cond.IfMatch = d.str()
		op.Cond.IfNoneMatch = d.str()
		op.Meta = decodeMeta(&d)
		op.Size = d.i64()
		copy(op.MD5[:], d.take(16))
		if in := d.bytes(); len(in) > 0 {
			op.Inline = in
		}
		op.Obj = d.u64()
		op.Block = d.u64()
		if data := d.take(int(d.u32())); len(data) > 0 {
			op.Data = data
		}
		if d.u8() == 1 {
			op.Src = &CopySrc{Bucket: d.str(), Key: d.str(), Version: d.u64(), Start: d.i64(), Length: d.i64(), Replace: d.u8() == 1}
		}
		if np := d.count(8); np > 0 {
			op.Parts = make([]s3api.CompletedPart, np)
			for j := range op.Parts {
				op.Parts[j] = s3api.CompletedPart{PartNumber: int(d.u32()), ETag: d.str()}
			}
		}
	}
	if err := d.done(); err != nil {
		return nil, fmt.Errorf("%w: decoding batch: %w", ErrBadOp, err)
	}
	return b, nil
}
