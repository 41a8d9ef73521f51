package localstore

import (
	"mapstore/s3api"
)

// OpKind says what an Op does.
type OpKind uint8

// The operations a batch holds. Each is decided against the state the
// batch's earlier operations left, so a batch applies the same way on
// every replica.
const (
	// OpCreateBucket creates Bucket at Time.
	OpCreateBucket OpKind = iota + 1
	// OpDeleteBucket removes Bucket if it holds no objects and no uploads.
	OpDeleteBucket
	// OpOpenData starts a data object: its id is allocated here and
	// returned in Result.Obj; WriteData ops fill it; a PutObject or
	// PutPart takes it over, or DropData gives it up.
	OpOpenData
	// OpWriteData writes Data into blocks Block... of open data object
	// Obj (whole blocks, the last one padded).
	OpWriteData
	// OpDropData frees open data object Obj and its blocks.
	OpDropData
	// OpPutObject publishes Bucket/Key: its body is Inline, or open data
	// object Obj of Size bytes; Cond is decided here.
	OpPutObject
	// OpCopyObject publishes Bucket/Key as a copy of the object Src names,
	// which must still be the version Src.Version.
	OpCopyObject
	// OpDeleteObject removes Bucket/Key (nothing if it does not exist).
	OpDeleteObject
	// OpCreateUpload starts upload UploadID of Bucket/Key at Time.
	OpCreateUpload
	// OpPutPart stores part PartNumber of an upload: its body is Inline,
	// open data object Obj, or (with Src) a range of an object.
	OpPutPart
	// OpCompleteUpload makes the listed Parts the object; Cond decided
	// here.
	OpCompleteUpload
	// OpAbortUpload removes an upload and its parts.
	OpAbortUpload
)

// Op is one mutation of a batch. Which fields matter depends on Kind.
// Everything an Op needs to apply deterministically is in it: times and
// upload ids are chosen by whoever builds the batch, never at apply.
type Op struct {
	Kind       OpKind
	Bucket     string
	Key        string
	Time       int64 // unix nanoseconds
	UploadID   string
	PartNumber int
	Cond       s3api.WriteConditions
	// The body of a PutObject or PutPart: Size bytes with MD5, in Inline or
	// in data object Obj.
	Meta   s3api.ObjectMeta
	Size   int64
	MD5    [16]byte
	Inline []byte
	Obj    uint64
	// WriteData: Data goes to blocks Block... of Obj.
	Block uint64
	Data  []byte
	// CopyObject, PutPart by copy.
	Src *CopySrc
	// CompleteUpload.
	Parts []s3api.CompletedPart
}

// CopySrc names the version of an object a copy reads, and the range of
// it (Length -1: all of it).
type CopySrc struct {
	Bucket, Key   string
	Version       uint64
	Start, Length int64
	// Directive and the destination's metadata (CopyObject).
	Replace bool
}

// Batch is what one Apply makes durable, all or none.
type Batch struct {
	Ops []Op
}

// Result is the outcome of one Op. Err is an S3 error (the op was refused
// and changed nothing); a failure of the store itself fails the whole
// Apply instead.
type Result struct {
	Err error
	// Obj is the data object OpOpenData allocated.
	Obj uint64
	// Info describes the object or part an op published.
	Info s3api.ObjectInfo
	// Part describes the part OpPutPart stored.
	Part s3api.PartInfo
}
