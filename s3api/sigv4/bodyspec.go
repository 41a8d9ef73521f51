package sigv4

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// bodySpec validates the headers describing the payload.
func (v *Verifier) bodySpec(r *http.Request, params []queryParam, sr signedRequest) (bodySpec, error) {
	spec := bodySpec{mode: sr.mode, wantSHA256: sr.digest}

	if md5s := r.Header.Values("Content-Md5"); len(md5s) > 0 {
		b, err := base64.StdEncoding.Strict().DecodeString(md5s[0])
		if len(md5s) > 1 || err != nil || len(b) != 16 {
			return spec, fmt.Errorf("%w: not the base64 of 16 bytes", ErrInvalidDigest)
		}
		spec.wantMD5 = b
	}

	trailers := declaredTrailers(r.Header)
	if len(trailers) > 0 && !sr.mode.Trailers() {
		return spec, fmt.Errorf("%w: x-amz-trailer requires a trailer payload in x-amz-content-sha256", ErrInvalidArgument)
	}
	h := r.Header
	if isCompleteMultipartUpload(r, params) {
		h = nil
	}
	var err error
	if spec.checksum, err = requestChecksum(h, trailers); err != nil {
		return spec, err
	}

	if sr.mode.Chunked() {
		spec.chunked = chunkedConfig{
			trailers:      sr.mode.Trailers(),
			declared:      trailers,
			maxChunk:      v.maxSigned,
			decodedLength: -1,
		}
		if sr.mode == PayloadStreamingUnsignedTrailer {
			spec.chunked.maxChunk = v.maxUnsigned
		}
		if vals := r.Header.Values("X-Amz-Decoded-Content-Length"); len(vals) > 0 {
			n, err := strconv.ParseInt(vals[0], 10, 64)
			if len(vals) > 1 || err != nil || n < 0 || vals[0][0] == '+' {
				return spec, fmt.Errorf("%w: invalid x-amz-decoded-content-length", ErrInvalidArgument)
			}
			spec.chunked.decodedLength = n
		}
	}
	return spec, nil
}

func isCompleteMultipartUpload(r *http.Request, params []queryParam) bool {
	if r.Method != http.MethodPost {
		return false
	}
	for _, p := range params {
		if p.key == "uploadId" {
			return true
		}
	}
	return false
}

// withoutAWSChunked joins Content-Encoding values minus the aws-chunked
// coding.
func withoutAWSChunked(values []string) string {
	var keep []string
	for _, v := range values {
		for _, c := range strings.Split(v, ",") {
			c = strings.TrimSpace(c)
			if c != "" && !strings.EqualFold(c, "aws-chunked") {
				keep = append(keep, c)
			}
		}
	}
	return strings.Join(keep, ",")
}
