package s3api

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strconv"
)

// The rules of CompleteMultipartUpload, shared by every Backend so that
// they all answer the same way.

// CheckCompletedParts checks a CompleteMultipartUpload request against the
// parts uploaded, and returns the object's ETag and size. The parts must
// be listed in ascending order (ErrInvalidPartOrder), each must have been
// uploaded with the listed ETag (ErrInvalidPart) and each but the last
// must hold at least MinPartSize bytes (ErrEntityTooSmall). An empty list
// is ErrMalformedXML.
func CheckCompletedParts(parts []CompletedPart, uploaded map[int]PartInfo) (etag string, size int64, err error) {
	if len(parts) == 0 {
		return "", 0, ErrMalformedXML.Withf("You must specify at least one part.")
	}
	for i := 1; i < len(parts); i++ {
		if parts[i].PartNumber <= parts[i-1].PartNumber {
			return "", 0, ErrInvalidPartOrder
		}
	}
	md5s := make([]string, 0, len(parts))
	for i, p := range parts {
		u, ok := uploaded[p.PartNumber]
		if !ok || trimETag(u.ETag) != trimETag(p.ETag) {
			return "", 0, ErrInvalidPart.With(fmt.Errorf("part %d", p.PartNumber))
		}
		if i < len(parts)-1 && u.Size < MinPartSize {
			e := *ErrEntityTooSmall
			e.Extra = map[string]string{
				"ProposedSize":   strconv.FormatInt(u.Size, 10),
				"MinSizeAllowed": strconv.Itoa(MinPartSize),
				"PartNumber":     strconv.Itoa(p.PartNumber),
				"ETag":           trimETag(u.ETag),
			}
			return "", 0, &e
		}
		md5s = append(md5s, u.ETag)
		size += u.Size
	}
	etag, err = MultipartETag(md5s)
	return etag, size, err
}

// MultipartETag returns the ETag of a multipart object from its parts'
// ETags (quoted or not hex MD5s): the hex MD5 of the concatenated binary
// MD5s, a dash and the number of parts, quoted.
func MultipartETag(partETags []string) (string, error) {
	h := md5.New()
	for _, e := range partETags {
		b, err := hex.DecodeString(trimETag(e))
		if err != nil || len(b) != md5.Size {
			return "", ErrInvalidPart.With(fmt.Errorf("part ETag %q is not an MD5", e))
		}
		h.Write(b)
	}
	return fmt.Sprintf("\"%x-%d\"", h.Sum(nil), len(partETags)), nil
}

// ETagOf formats an MD5 digest as a quoted ETag.
func ETagOf(md5sum []byte) string { return `"` + hex.EncodeToString(md5sum) + `"` }
