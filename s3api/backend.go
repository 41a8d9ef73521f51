package s3api

import (
	"context"
	"io"
)

// Backend is the storage behind a Server: the object engine of one node
// (localstore) or the raft-replicated store over it. The Server speaks
// HTTP, authenticates, parses and validates requests, and hands the
// Backend only well-formed operations; the Backend decides everything that
// must be atomic with the data.
//
// # Contract common to every method
//
//   - Context: every method takes the request's context. It is cancelled
//     when the client goes away; a Backend should stop work and return
//     (any error, the Server will not be able to answer anyway) without
//     making anything visible.
//   - Errors: return the s3api *Error values (ErrNoSuchBucket,
//     ErrNoSuchKey, ErrPreconditionFailed, ...) or errors wrapping them
//     (fmt.Errorf("...: %w", ErrNoSuchKey), or ErrNoSuchKey.With(cause)).
//     The Server answers with AsError(err): an *Error in the chain is sent
//     as it is; anything else is a 500 InternalError whose cause is only
//     logged. A failure to read a request body must be returned wrapped
//     with %w and not turned into an *Error: the body's own error says why
//     the request failed (BadDigest, SignatureDoesNotMatch, IncompleteBody,
//     a lost connection).
//   - Names: bucket names were validated when the bucket was created; keys
//     are non-empty valid UTF-8 of at most MaxKeyLength bytes. Other
//     bucket names that reach the Backend (a GET of a bucket that was never
//     created) simply do not exist: ErrNoSuchBucket.
//   - Concurrency: all methods may be called concurrently, also for the
//     same bucket and key.
//   - Ownership: slices and maps passed in belong to the caller and must
//     not be kept; slices and maps returned belong to the caller, which may
//     modify them.
type Backend interface {
	// ListBuckets returns every bucket, ordered by name.
	ListBuckets(ctx context.Context) ([]BucketInfo, error)

	// CreateBucket creates an empty bucket. The name has been validated by
	// the Server (ValidBucketName). If the bucket exists it returns
	// ErrBucketAlreadyOwnedByYou (a single-owner store: every caller is
	// the owner).
	CreateBucket(ctx context.Context, bucket string) error

	// DeleteBucket removes a bucket. Whether it is empty is decided
	// atomically with the removal: if it holds objects or multipart
	// uploads in progress it returns ErrBucketNotEmpty and changes
	// nothing; a PutObject racing with DeleteBucket either lands before
	// (and the delete fails) or fails with ErrNoSuchBucket.
	// ErrNoSuchBucket if it does not exist.
	DeleteBucket(ctx context.Context, bucket string) error

	// HeadBucket returns the bucket's information, or ErrNoSuchBucket.
	HeadBucket(ctx context.Context, bucket string) (BucketInfo, error)

	// PutObject stores an object from body, replacing any object under the
	// same key.
	//
	// Body: the Backend reads body with bounded memory (it must not buffer
	// a whole large body). The object becomes visible only if body returns
	// io.EOF after exactly size bytes; a read error (a signature, digest or
	// checksum failure that the Server's verifying body reports only at
	// the end, a lost connection), a short or a long body leave nothing
	// visible and nothing leaked: return the read error wrapped, or
	// ErrIncompleteBody for a length mismatch. size is at most the
	// Server's MaxObjectSize. The Backend does not close body.
	//
	// It computes the MD5 ETag of the data itself, and, if
	// meta.Checksum.Algorithm is set, that checksum too, and stores both
	// (meta.Checksum.Value is ignored on input; the Server has verified the
	// client's value against the same bytes).
	//
	// cond is decided atomically with the write, at the moment the object
	// is published: IfNoneMatch "*" fails with ErrPreconditionFailed if
	// the key exists; IfMatch fails with ErrNoSuchKey if it does not and
	// with ErrPreconditionFailed if its ETag differs (compare with
	// ETagMatches). Of two racing conditional writes at most one wins.
	// A Backend may also check cond before reading the body, to fail
	// early, but must check again when publishing.
	//
	// It returns the stored object's information. ErrNoSuchBucket if the
	// bucket does not exist.
	PutObject(ctx context.Context, bucket, key string, meta ObjectMeta, body io.Reader, size int64, cond WriteConditions) (ObjectInfo, error)

	// GetObject opens an immutable snapshot of an object and returns its
	// information and a reader of the requested bytes: the whole object,
	// opts.Range of it, or part opts.PartNumber of it. A concurrent
	// PutObject, CopyObject, CompleteMultipartUpload or DeleteObject of the
	// same key never changes or tears what the snapshot reads. The caller
	// must Close the Object; Close releases the snapshot (and whatever
	// storage it kept alive).
	//
	// Range: resolve it with opts.Range.Resolve(size), and return its error
	// (InvalidRange, which carries the object size) if it is not
	// satisfiable. PartNumber: the bytes of that part of a multipart
	// object; part 1 of a simple object is the whole object; a part
	// number beyond PartsCount is ErrInvalidPartNumber. At most one of the
	// two is set. Object.Range tells which bytes Body reads.
	//
	// ErrNoSuchBucket, ErrNoSuchKey.
	GetObject(ctx context.Context, bucket, key string, opts GetOptions) (*Object, error)

	// HeadObject returns an object's information without opening its data.
	// ErrNoSuchBucket, ErrNoSuchKey.
	HeadObject(ctx context.Context, bucket, key string) (ObjectInfo, error)

	// DeleteObject removes an object. Deleting a key that does not exist
	// succeeds. Readers holding a snapshot keep reading it. ErrNoSuchBucket
	// if the bucket does not exist.
	DeleteObject(ctx context.Context, bucket, key string) error

	// CopyObject copies src to dst (possibly the same key, with
	// MetadataReplace) and returns the new object's information.
	//
	// It reads a snapshot of the source; src.Conditions are evaluated
	// against that snapshot (use CopyConditions.Check), failing with
	// ErrPreconditionFailed. dst.Directive says where the metadata comes
	// from: MetadataCopy keeps the source's ObjectMeta, MetadataReplace
	// uses dst.Meta except its Checksum: the data, its ETag and its
	// checksum are always the source's. dst.Conditions are decided
	// atomically with the write, as in PutObject.
	//
	// ErrNoSuchBucket (either bucket), ErrNoSuchKey (source).
	CopyObject(ctx context.Context, src CopySource, dst CopyDestination) (ObjectInfo, error)

	// ListObjects lists keys in ascending byte order, as ListObjects and
	// ListObjectsV2 present them.
	//
	// Keys not starting with opts.Prefix are skipped. If opts.Delimiter is
	// not empty, every key that contains it after the prefix is rolled up
	// into one common prefix (the key up to and including the first
	// delimiter after the prefix), returned once in CommonPrefixes in its
	// place in the order; the Backend skips the rest of a common prefix's
	// keys by seeking past them (O(log n)), not by reading them.
	//
	// opts.After is exclusive: entries (keys and common prefixes) that
	// sort at or before it are left out, and so are the keys of a common
	// prefix that sorts at or before it. At most opts.MaxKeys entries
	// (keys plus common prefixes, 1 to 1000) are returned; IsTruncated
	// says more follow, and Last is the last entry returned: passed back
	// as After it continues the listing.
	//
	// ErrNoSuchBucket.
	ListObjects(ctx context.Context, bucket string, opts ListOptions) (ListResult, error)

	// CreateMultipartUpload starts an upload of key and returns its id: a
	// non-empty string of URL-safe characters unique within the bucket.
	// meta is stored and becomes the object's metadata on completion
	// (Checksum.Algorithm names the checksum the parts will carry; the
	// Backend need not compute an object checksum). ErrNoSuchBucket.
	CreateMultipartUpload(ctx context.Context, bucket, key string, meta ObjectMeta) (uploadID string, err error)

	// UploadPart stores part partNumber (1 to MaxPartNumber) of an upload,
	// replacing an earlier part with that number. body, size and the MD5
	// ETag are as in PutObject: the part exists only if body reads to EOF
	// after exactly size bytes. ErrNoSuchUpload if the upload does not
	// exist (or belongs to another key); ErrNoSuchBucket.
	UploadPart(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, size int64) (PartInfo, error)

	// UploadPartCopy stores part partNumber of an upload from a snapshot of
	// src (its conditions evaluated as in CopyObject), either the whole
	// source or the bytes of rng, resolved with rng.ResolveCopy (a range
	// not wholly within the source fails with its InvalidRange error).
	// ErrNoSuchUpload, ErrNoSuchBucket, ErrNoSuchKey (source).
	UploadPartCopy(ctx context.Context, bucket, key, uploadID string, partNumber int, src CopySource, rng *ByteRange) (PartInfo, error)

	// CompleteMultipartUpload assembles the listed parts into the object,
	// atomically: the object appears whole or not at all, and the upload
	// and its unused parts are gone exactly when it appears.
	//
	// parts are as the client listed them (ETags quoted). Check them with
	// CheckCompletedParts: ascending part numbers (ErrInvalidPartOrder),
	// each part uploaded with that ETag (ErrInvalidPart), every part but
	// the last at least MinPartSize (ErrEntityTooSmall). The object's
	// ETag is MultipartETag of the parts' MD5s ("<md5 of md5s>-N"), its
	// PartsCount is len(parts), and GetObject by PartNumber serves these
	// parts. cond is decided atomically as in PutObject.
	//
	// ErrNoSuchUpload, ErrNoSuchBucket.
	CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletedPart, cond WriteConditions) (ObjectInfo, error)

	// AbortMultipartUpload removes an upload and its parts. A part upload
	// in progress either fails or leaves nothing behind. ErrNoSuchUpload,
	// ErrNoSuchBucket.
	AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error

	// ListParts lists an upload's parts with numbers above
	// opts.PartNumberMarker, ascending, at most opts.MaxParts (1 to 1000).
	// ErrNoSuchUpload, ErrNoSuchBucket.
	ListParts(ctx context.Context, bucket, key, uploadID string, opts ListPartsOptions) (ListPartsResult, error)

	// ListMultipartUploads lists uploads in progress ordered by key, then
	// by upload id (a Backend should make ids sort in creation order, as
	// S3 lists a key's uploads by initiation time). It skips entries at or
	// before (opts.KeyMarker, opts.UploadIDMarker): with an UploadIDMarker,
	// the uploads of KeyMarker with greater ids follow; without one,
	// listing resumes after every upload of KeyMarker. Prefix and
	// Delimiter roll keys up into common prefixes as in ListObjects (a
	// common prefix sorting at or before KeyMarker is skipped). At most
	// opts.MaxUploads entries (uploads plus common prefixes, 1 to 1000);
	// when truncated, NextKeyMarker and NextUploadIDMarker name the last
	// entry returned (NextUploadIDMarker empty for a common prefix).
	// ErrNoSuchBucket.
	ListMultipartUploads(ctx context.Context, bucket string, opts ListUploadsOptions) (ListUploadsResult, error)
}
