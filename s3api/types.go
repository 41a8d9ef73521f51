package s3api

import (
	"io"
	"time"

	"mapstore/s3api/sigv4"
)

// The values passed to and returned by a Backend.

// Limits S3 sets that a Backend relies on.
const (
	// MaxKeyLength is the longest key in bytes.
	MaxKeyLength = 1024
	// MinPartSize is the smallest size of a multipart part other than the
	// last.
	MinPartSize = 5 << 20
	// MaxPartNumber is the highest part number.
	MaxPartNumber = 10000
	// MaxListKeys is the most entries one listing returns.
	MaxListKeys = 1000
)

// BucketInfo describes a bucket.
type BucketInfo struct {
	Name         string
	CreationDate time.Time
}

// ObjectMeta is what a client says about an object when it writes it,
// returned unchanged when the object is read.
type ObjectMeta struct {
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	// Expires is the Expires header as the client sent it (S3 keeps the
	// string, even when it is not a valid HTTP date).
	Expires string
	// UserMeta holds the x-amz-meta-* headers: lower-case names without
	// the prefix, values as sent.
	UserMeta map[string]string
	// Checksum is the additional checksum of the object's data. On a
	// write only Algorithm is set (or nothing); the Backend computes
	// Value.
	Checksum Checksum
}

// Checksum is an S3 additional checksum (x-amz-checksum-*).
type Checksum struct {
	// Algorithm is empty when the object has no additional checksum.
	Algorithm sigv4.ChecksumAlgorithm
	// Value is the base64 of the big-endian digest, as S3 sends it.
	Value string
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Bucket string
	Key    string
	Size   int64
	// ETag is quoted, as S3 sends it: "\"<hex md5>\"" for a simple
	// object, "\"<hex md5 of part md5s>-N\"" for a multipart one.
	ETag         string
	LastModified time.Time
	// Meta is the object's metadata. A Backend may leave it empty in
	// ListObjects results.
	Meta ObjectMeta
	// PartsCount is the number of parts of a multipart object, 0 for a
	// simple object.
	PartsCount int
}

// WriteConditions make a write conditional on the object it replaces
// (If-Match, If-None-Match on PutObject, CopyObject and
// CompleteMultipartUpload). Empty fields are no condition.
type WriteConditions struct {
	// IfMatch: the write happens only if the key exists with this ETag
	// (quoted or not, or a comma-separated list, or "*").
	IfMatch string
	// IfNoneMatch: "*": the write happens only if the key does not exist.
	IfNoneMatch string
}

// IsZero reports whether there are no conditions.
func (c WriteConditions) IsZero() bool { return c == WriteConditions{} }

// Check decides the conditions against the current object, nil if the key
// does not exist. A Backend calls it while holding whatever makes the
// decision atomic with the write.
func (c WriteConditions) Check(current *ObjectInfo) error {
	if c.IfMatch != "" {
		if current == nil {
			return ErrNoSuchKey
		}
		if !ETagMatches(c.IfMatch, current.ETag) {
			return ErrPreconditionFailed
		}
	}
	if c.IfNoneMatch != "" && current != nil {
		if c.IfNoneMatch == "*" || ETagMatches(c.IfNoneMatch, current.ETag) {
			return ErrPreconditionFailed
		}
	}
	return nil
}

// GetOptions select the bytes GetObject reads. At most one is set.
type GetOptions struct {
	// Range, if not nil, selects a byte range.
	Range *ByteRange
	// PartNumber, if not 0, selects one part.
	PartNumber int
}

// Object is an open snapshot of an object.
type Object struct {
	Info ObjectInfo
	// Range is the part of the object Body reads; nil for all of it.
	Range *ObjectRange
	// Body reads the selected bytes. Closing it releases the snapshot.
	Body io.ReadCloser
}

// Close releases the snapshot.
func (o *Object) Close() error { return o.Body.Close() }

// ObjectRange is a resolved byte range of an object.
type ObjectRange struct {
	Start  int64
	Length int64
}

// MetadataDirective says where a copy's metadata comes from.
type MetadataDirective string

// The x-amz-metadata-directive values.
const (
	MetadataCopy    MetadataDirective = "COPY"
	MetadataReplace MetadataDirective = "REPLACE"
)

// CopySource is the source of CopyObject and UploadPartCopy.
type CopySource struct {
	Bucket, Key string
	Conditions  CopyConditions
}

// CopyConditions are the x-amz-copy-source-if-* headers. Empty or zero
// fields are no condition.
type CopyConditions struct {
	IfMatch           string
	IfNoneMatch       string
	IfModifiedSince   time.Time
	IfUnmodifiedSince time.Time
}

// Check decides the conditions against the source snapshot, as S3 does:
// if-match true wins over if-unmodified-since false, and if-none-match
// false fails even if if-modified-since is true. Every failure is
// ErrPreconditionFailed.
func (c CopyConditions) Check(src ObjectInfo) error {
	if status := evalConditions(c.IfMatch, c.IfNoneMatch, c.IfModifiedSince, c.IfUnmodifiedSince, src); status != 0 {
		return ErrPreconditionFailed
	}
	return nil
}

// CopyDestination is the target of CopyObject.
type CopyDestination struct {
	Bucket, Key string
	Directive   MetadataDirective
	// Meta is the new metadata for MetadataReplace.
	Meta       ObjectMeta
	Conditions WriteConditions
}

// ListOptions select the keys ListObjects returns.
type ListOptions struct {
	Prefix    string
	Delimiter string
	// After is exclusive: listing starts after this key or common prefix.
	After string
	// MaxKeys is 1 to MaxListKeys.
	MaxKeys int
}

// ListResult is one page of ListObjects.
type ListResult struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	// IsTruncated reports that more entries follow Last.
	IsTruncated bool
	// Last is the greatest key or common prefix returned.
	Last string
}

// PartInfo describes an uploaded part.
type PartInfo struct {
	PartNumber   int
	ETag         string // quoted MD5
	Size         int64
	LastModified time.Time
}

// CompletedPart is one entry of a CompleteMultipartUpload request.
type CompletedPart struct {
	PartNumber int
	ETag       string
}

// ListPartsOptions page through ListParts.
type ListPartsOptions struct {
	PartNumberMarker int
	MaxParts         int
}

// ListPartsResult is one page of ListParts.
type ListPartsResult struct {
	Parts                []PartInfo
	IsTruncated          bool
	NextPartNumberMarker int
	// Meta is the upload's metadata (for its checksum algorithm).
	Meta ObjectMeta
}

// UploadInfo describes a multipart upload in progress.
type UploadInfo struct {
	Key       string
	UploadID  string
	Initiated time.Time
}

// ListUploadsOptions select what ListMultipartUploads returns.
type ListUploadsOptions struct {
	Prefix         string
	Delimiter      string
	KeyMarker      string
	UploadIDMarker string
	// MaxUploads is 1 to MaxListKeys.
	MaxUploads int
}

// ListUploadsResult is one page of ListMultipartUploads.
type ListUploadsResult struct {
	Uploads            []UploadInfo
	CommonPrefixes     []string
	IsTruncated        bool
	NextKeyMarker      string
	NextUploadIDMarker string
}
