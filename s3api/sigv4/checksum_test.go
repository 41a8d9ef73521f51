package sigv4

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/minio/crc64nvme"
)

// Cross-check CRC-64/NVME against an independent implementation over
// lengths that cover the table-driven and tail paths.
func TestCRC64NVMEMatchesIndependentImplementation(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 63, 64, 1000, 100000} {
		data := pattern(n)
		ours := ChecksumCRC64NVME.New()
		ours.Write(data)
		theirs := crc64nvme.New()
		theirs.Write(data)
		if !bytes.Equal(ours.Sum(nil), theirs.Sum(nil)) {
			t.Errorf("n=%d: %x != %x", n, ours.Sum(nil), theirs.Sum(nil))
		}
	}
}

// Known checksums of "hello", as S3 reports them.
func TestChecksumAlgorithms(t *testing.T) {
	for alg, want := range map[ChecksumAlgorithm]string{
		ChecksumCRC32:  "NhCmhg==",
		ChecksumCRC32C: "mnG7TA==",
		ChecksumSHA1:   "qvTGHdzF6KLavt4PO0gs2a6pQ00=",
		ChecksumSHA256: "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=",
	} {
		if got := checksumOf(alg, []byte("hello")); got != want {
			t.Errorf("%s(hello) = %s, want %s", alg, got, want)
		}
		if alg.HeaderName() != "x-amz-checksum-"+map[ChecksumAlgorithm]string{
			ChecksumCRC32: "crc32", ChecksumCRC32C: "crc32c", ChecksumSHA1: "sha1", ChecksumSHA256: "sha256",
		}[alg] {
			t.Errorf("header name %s", alg.HeaderName())
		}
	}
	for _, alg := range ChecksumAlgorithms {
		h := alg.New()
		if h == nil || h.Size() != alg.Size() {
			t.Errorf("%s: hash size mismatch", alg)
		}
		if _, err := decodeChecksum(alg, base64.StdEncoding.EncodeToString(make([]byte, alg.Size()+1))); !errorsIs(err, ErrInvalidChecksum) {
			t.Errorf("%s: oversized value accepted", alg)
		}
	}
	if ChecksumAlgorithm("MD5").New() != nil || ChecksumAlgorithm("MD5").Size() != 0 {
		t.Error("unknown algorithm")
	}
}
