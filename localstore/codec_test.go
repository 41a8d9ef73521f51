package localstore

import (
	"errors"
	"reflect"
	"testing"

	"mapstore/s3api"
)

// TestBatchCodecRoundTrip encodes a batch using every field of every op
// kind and checks that it decodes to the same batch, and that every
// truncation of it is refused.
func TestBatchCodecRoundTrip(t *testing.T) {
	meta := s3api.ObjectMeta{ContentType: "a/b", ContentEncoding: "gzip", ContentDisposition: "x", ContentLanguage: "en",
		CacheControl: "no-cache", Expires: "soon", UserMeta: map[string]string{"one": "1", "two": "2"},
		Checksum: s3api.Checksum{Algorithm: "CRC32C", Value: "AAAAAA=="}}
	b := &Batch{Ops: []Op{
		{Kind: OpCreateBucket, Bucket: "b", Time: 1},
		{Kind: OpPutObject, Bucket: "b", Key: "k/é", Time: -5, Cond: s3api.WriteConditions{IfMatch: `"abc"`, IfNoneMatch: "*"},
			Meta: meta, Size: 3, MD5: [16]byte{1, 2, 3, 15: 9}, Inline: []byte("abc")},
		{Kind: OpWriteData, Obj: 1 << 40, Block: 77, Data: make([]byte, 10000)},
		{Kind: OpCopyObject, Bucket: "b", Key: "c", Src: &CopySrc{Bucket: "s", Key: "t", Version: 99, Start: 1, Length: -1, Replace: true}},
		{Kind: OpPutPart, Bucket: "b", Key: "m", UploadID: "u", PartNumber: 10000, Size: 8, Obj: 5},
		{Kind: OpCompleteUpload, Bucket: "b", Key: "m", UploadID: "u",
			Parts: []s3api.CompletedPart{{PartNumber: 1, ETag: `"e1"`}, {PartNumber: 3, ETag: `"e3"`}}},
		{Kind: OpOpenData},
	}}
	p := EncodeBatch(b)
	got, err := DecodeBatch(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, b) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", got, b)
	}
	for n := 0; n < len(p); n += 1 + n/50 {
		if _, err := DecodeBatch(p[:n]); !errors.Is(err, ErrBadOp) {
			t.Fatalf("cut at %d of %d: %v, want ErrBadOp", n, len(p), err)
		}
	}
	if _, err := DecodeBatch(append(p, 0)); !errors.Is(err, ErrBadOp) {
		t.Fatalf("a byte added: %v, want ErrBadOp", err)
	}
}

// FuzzDecodeBatch checks that no entry makes the decoder panic or loop.
func FuzzDecodeBatch(f *testing.F) {
	f.Add(EncodeBatch(&Batch{Ops: []Op{{Kind: OpPutObject, Bucket: "b", Key: "k", Inline: []byte("x"), Size: 1}}}))
	f.Fuzz(func(t *testing.T, p []byte) {
		if b, err := DecodeBatch(p); err == nil {
			if q := EncodeBatch(b); string(q) != string(p) {
				t.Fatalf("re-encoded differently")
			}
		}
	})
}
