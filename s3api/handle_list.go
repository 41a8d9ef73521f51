package s3api

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
)

// ListObjects (v1), ListObjectsV2 and ListMultipartUploads.

// listParams are the parsed query parameters of a listing.
type listParams struct {
	prefix, delimiter string
	maxKeys           int
	encodeURL         bool
	// ListObjectsV2
	continuationToken string // as sent
	startAfter        string
	fetchOwner        bool
	// ListObjects v1
	marker string
	// after is where the listing starts (exclusive).
	after string
}

// parseMaxKeys reads a max-keys style parameter: default and ceiling
// MaxListKeys; anything but a non-negative integer is InvalidArgument.
func parseMaxKeys(q queryValues, name string) (int, error) {
	v, ok := q.lookup(name)
	if !ok || v == "" {
		return MaxListKeys, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, ErrInvalidArgument.Withf("Provided %s not an integer or within integer range.", name)
	}
	return min(n, MaxListKeys), nil
}

func parseEncodingType(q queryValues) (bool, error) {
	switch v := q.get("encoding-type"); v {
	case "":
		return false, nil
	case "url":
		return true, nil
	}
	return false, ErrInvalidArgument.Withf("Invalid Encoding Method specified in Request.")
}

func parseListCommon(q queryValues) (listParams, error) {
	p := listParams{prefix: q.get("prefix"), delimiter: q.get("delimiter")}
	var err error
	if p.maxKeys, err = parseMaxKeys(q, "max-keys"); err != nil {
		return p, err
	}
	p.encodeURL, err = parseEncodingType(q)
	return p, err
}

// parseListV2 reads ListObjectsV2's parameters. The continuation token is
// opaque to clients: the base64url of the last entry of the previous page.
// With a token, start-after is ignored, as S3 does.
func parseListV2(q queryValues) (listParams, error) {
	p, err := parseListCommon(q)
	if err != nil {
		return p, err
	}
	p.startAfter = q.get("start-after")
	p.after = p.startAfter
	p.fetchOwner = q.get("fetch-owner") == "true"
	if t, ok := q.lookup("continuation-token"); ok {
		if t == "" {
			return p, ErrInvalidArgument.Withf("The continuation token provided is incorrect.")
		}
		after, err := decodeToken(t)
		if err != nil {
			return p, err
		}
		p.continuationToken, p.after = t, after
	}
	return p, nil
}

func parseListV1(q queryValues) (listParams, error) {
	p, err := parseListCommon(q)
	if err != nil {
		return p, err
	}
	p.marker = q.get("marker")
	p.after = p.marker
	return p, nil
}

func encodeToken(after string) string { return base64.RawURLEncoding.EncodeToString([]byte(after)) }

func decodeToken(t string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil || len(b) > MaxKeyLength {
		return "", ErrInvalidArgument.Withf("The continuation token provided is incorrect.")
	}
	return string(b), nil
}

// list runs the Backend listing for p; max-keys 0 lists nothing (after
// making sure the bucket exists).
func (s *Server) list(rq *request, p listParams) (ListResult, error) {
	if p.maxKeys == 0 {
		return ListResult{}, s.checkBucket(rq)
	}
	res, err := s.backend.ListObjects(rq.r.Context(), rq.route.bucket, ListOptions{
		Prefix: p.prefix, Delimiter: p.delimiter, After: p.after, MaxKeys: p.maxKeys,
	})
	return res, withBucket(err, rq.route.bucket)
}

func (s *Server) listEntries(res ListResult, p listParams, withOwner bool) ([]objectXML, []commonPrefix) {
	enc := encoder(p.encodeURL)
	var o *owner
	if withOwner {
		ow := s.owner()
		o = &ow
	}
	objs := make([]objectXML, 0, len(res.Objects))
	for _, obj := range res.Objects {
		objs = append(objs, objectXML{
			Key:          enc(obj.Key),
			LastModified: timeISO(obj.LastModified),
			ETag:         obj.ETag,
			Size:         obj.Size,
			StorageClass: "STANDARD",
			Owner:        o,
		})
	}
	cps := make([]commonPrefix, 0, len(res.CommonPrefixes))
	for _, cp := range res.CommonPrefixes {
		cps = append(cps, commonPrefix{Prefix: enc(cp)})
	}
	return objs, cps
}

func (s *Server) listObjectsV2(rq *request) error {
	p, err := parseListV2(rq.query)
	if err != nil {
		return err
	}
	res, err := s.list(rq, p)
	if err != nil {
		return err
	}
	enc := encoder(p.encodeURL)
	out := listBucketResultV2{
		NS:                s3NS,
		Name:              rq.route.bucket,
		Prefix:            enc(p.prefix),
		Delimiter:         enc(p.delimiter),
		MaxKeys:           p.maxKeys,
		KeyCount:          len(res.Objects) + len(res.CommonPrefixes),
		IsTruncated:       res.IsTruncated,
		ContinuationToken: p.continuationToken,
		StartAfter:        enc(p.startAfter),
	}
	if p.encodeURL {
		out.EncodingType = "url"
	}
	if res.IsTruncated {
		out.NextContinuationToken = encodeToken(res.Last)
	}
	out.Contents, out.CommonPrefixes = s.listEntries(res, p, p.fetchOwner)
	return s.writeXML(rq, http.StatusOK, &out)
}

func (s *Server) listObjectsV1(rq *request) error {
	p, err := parseListV1(rq.query)
	if err != nil {
		return err
	}
	res, err := s.list(rq, p)
	if err != nil {
		return err
	}
	enc := encoder(p.encodeURL)
	out := listBucketResultV1{
		NS:          s3NS,
		Name:        rq.route.bucket,
		Prefix:      enc(p.prefix),
		Marker:      enc(p.marker),
		Delimiter:   enc(p.delimiter),
		MaxKeys:     p.maxKeys,
		IsTruncated: res.IsTruncated,
	}
	if p.encodeURL {
		out.EncodingType = "url"
	}
	// Without a delimiter clients continue from the last key themselves;
	// S3 sends NextMarker only with a delimiter.
	if res.IsTruncated && p.delimiter != "" {
		out.NextMarker = enc(res.Last)
	}
	out.Contents, out.CommonPrefixes = s.listEntries(res, p, true)
	return s.writeXML(rq, http.StatusOK, &out)
}

func (s *Server) listMultipartUploads(rq *request) error {
	q := rq.query
	opts := ListUploadsOptions{
		Prefix:         q.get("prefix"),
		Delimiter:      q.get("delimiter"),
		KeyMarker:      q.get("key-marker"),
		UploadIDMarker: q.get("upload-id-marker"),
	}
	if opts.KeyMarker == "" {
		opts.UploadIDMarker = "" // ignored without a key marker, as S3
	}
	var err error
	if opts.MaxUploads, err = parseMaxKeys(q, "max-uploads"); err != nil {
		return err
	}
	encodeURL, err := parseEncodingType(q)
	if err != nil {
		return err
	}
	var res ListUploadsResult
	if opts.MaxUploads == 0 {
		err = s.checkBucket(rq)
	} else {
		res, err = s.backend.ListMultipartUploads(rq.r.Context(), rq.route.bucket, opts)
	}
	if err != nil {
		return withBucket(err, rq.route.bucket)
	}
	enc := encoder(encodeURL)
	o := s.owner()
	out := listMultipartUploadsResult{
		NS:             s3NS,
		Bucket:         rq.route.bucket,
		KeyMarker:      enc(opts.KeyMarker),
		UploadIDMarker: opts.UploadIDMarker,
		Delimiter:      enc(opts.Delimiter),
		Prefix:         enc(opts.Prefix),
		MaxUploads:     opts.MaxUploads,
		IsTruncated:    res.IsTruncated,
	}
	if res.IsTruncated {
		out.NextKeyMarker = enc(res.NextKeyMarker)
		out.NextUploadIDMarker = res.NextUploadIDMarker
	}
	for _, u := range res.Uploads {
		out.Uploads = append(out.Uploads, uploadXML{
			Key: enc(u.Key), UploadID: u.UploadID, Initiator: o, Owner: o,
			StorageClass: "STANDARD", Initiated: timeISO(u.Initiated),
		})
	}
	for _, cp := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: enc(cp)})
	}
	return s.writeXML(rq, http.StatusOK, &out)
}

// encoder returns the encoding of keys and prefixes in listings:
// encoding-type=url percent-encodes every byte but the unreserved ones and
// "/" (so a space is %20 and "+" is %2B: decoding with either unescape or
// unquote_plus gives the key back); otherwise keys are sent as they are.
func encoder(url bool) func(string) string {
	if !url {
		return func(s string) string { return s }
	}
	return urlEncodeKey
}

func urlEncodeKey(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == '/':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
