package s3api

import (
	"net/http"
	"strconv"
	"strings"

	"mapstore/s3api/sigv4"
)

// Object metadata on the wire: request headers to ObjectMeta, ObjectInfo
// to response headers.

const userMetaPrefix = "X-Amz-Meta-" // canonical header form

// defaultContentType is what S3 stores when a client sends none.
const defaultContentType = "binary/octet-stream"

// parseObjectMeta reads the metadata headers of a write (PutObject,
// CopyObject with REPLACE, CreateMultipartUpload). contentEncoding is the
// Content-Encoding with aws-chunked removed. User metadata larger than
// maxUser bytes (names without the prefix plus values) is MetadataTooLarge.
func parseObjectMeta(h http.Header, contentEncoding string, maxUser int) (ObjectMeta, error) {
	m := ObjectMeta{
		ContentType:        h.Get("Content-Type"),
		ContentEncoding:    contentEncoding,
		ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage:    h.Get("Content-Language"),
		CacheControl:       h.Get("Cache-Control"),
		Expires:            h.Get("Expires"),
	}
	if m.ContentType == "" {
		m.ContentType = defaultContentType
	}
	size := 0
	for name, values := range h {
		if len(name) <= len(userMetaPrefix) || !strings.EqualFold(name[:len(userMetaPrefix)], userMetaPrefix) {
			continue
		}
		if m.UserMeta == nil {
			m.UserMeta = make(map[string]string)
		}
		k := strings.ToLower(name[len(userMetaPrefix):])
		v := strings.Join(values, ",")
		m.UserMeta[k] = v
		size += len(k) + len(v)
	}
	if size > maxUser {
		e := *ErrMetadataTooLarge
		e.Extra = map[string]string{"Size": strconv.Itoa(size), "MaxSizeAllowed": strconv.Itoa(maxUser)}
		return m, &e
	}
	alg, err := checksumAlgorithm(h)
	if err != nil {
		return m, err
	}
	m.Checksum.Algorithm = alg
	return m, nil
}

// checksumAlgorithm finds the additional checksum a write asks for: an
// x-amz-checksum-<alg> header, an x-amz-checksum-<alg> trailer announced
// in x-amz-trailer, or x-amz-checksum-algorithm /
// x-amz-sdk-checksum-algorithm. sigv4 has already rejected conflicting or
// malformed checksum headers and trailers.
func checksumAlgorithm(h http.Header) (sigv4.ChecksumAlgorithm, error) {
	for _, a := range sigv4.ChecksumAlgorithms {
		if h.Get(a.HeaderName()) != "" {
			return a, nil
		}
	}
	for _, t := range h.Values("X-Amz-Trailer") {
		for _, name := range strings.Split(t, ",") {
			for _, a := range sigv4.ChecksumAlgorithms {
				if strings.EqualFold(strings.TrimSpace(name), a.HeaderName()) {
					return a, nil
				}
			}
		}
	}
	for _, hdr := range []string{"X-Amz-Checksum-Algorithm", "X-Amz-Sdk-Checksum-Algorithm"} {
		v := h.Get(hdr)
		if v == "" {
			continue
		}
		a := sigv4.ChecksumAlgorithm(strings.ToUpper(strings.TrimSpace(v)))
		if a.Size() == 0 {
			return "", ErrInvalidRequest.Withf("Value for %s header is invalid.", strings.ToLower(hdr))
		}
		return a, nil
	}
	return "", nil
}

// setObjectHeaders writes an object's metadata headers for GET and HEAD.
func setObjectHeaders(h http.Header, info ObjectInfo) {
	h.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
	h.Set("ETag", info.ETag)
	h.Set("Accept-Ranges", "bytes")
	m := info.Meta
	ct := m.ContentType
	if ct == "" {
		ct = defaultContentType
	}
	h.Set("Content-Type", ct)
	for _, kv := range [...][2]string{
		{"Content-Encoding", m.ContentEncoding},
		{"Content-Disposition", m.ContentDisposition},
		{"Content-Language", m.ContentLanguage},
		{"Cache-Control", m.CacheControl},
		{"Expires", m.Expires},
	} {
		if kv[1] != "" {
			h.Set(kv[0], kv[1])
		}
	}
	for k, v := range m.UserMeta {
		h.Set(userMetaPrefix+k, v)
	}
}

// responseOverrides are the response-* query parameters of GET and HEAD,
// mapped to the headers they replace.
var responseOverrides = [...][2]string{
	{"response-content-type", "Content-Type"},
	{"response-content-language", "Content-Language"},
	{"response-expires", "Expires"},
	{"response-cache-control", "Cache-Control"},
	{"response-content-disposition", "Content-Disposition"},
	{"response-content-encoding", "Content-Encoding"},
}

func applyResponseOverrides(h http.Header, q queryValues) {
	for _, o := range responseOverrides {
		if v, ok := q.lookup(o[0]); ok {
			h.Set(o[1], v)
		}
	}
}

// setChecksumHeader writes x-amz-checksum-<alg> if c is set.
func setChecksumHeader(h http.Header, c Checksum) {
	if c.Algorithm != "" && c.Value != "" {
		h.Set(c.Algorithm.HeaderName(), c.Value)
	}
}

// checksumElems fills the checksum elements of an XML answer.
func checksumElems(c Checksum) checksumXML {
	var x checksumXML
	switch c.Algorithm {
	case sigv4.ChecksumCRC32:
		x.ChecksumCRC32 = c.Value
	case sigv4.ChecksumCRC32C:
		x.ChecksumCRC32C = c.Value
	case sigv4.ChecksumCRC64NVME:
		x.ChecksumCRC64NVME = c.Value
	case sigv4.ChecksumSHA1:
		x.ChecksumSHA1 = c.Value
	case sigv4.ChecksumSHA256:
		x.ChecksumSHA256 = c.Value
	}
	return x
}
