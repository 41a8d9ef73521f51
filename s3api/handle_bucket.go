package s3api

import (
	"encoding/xml"
	"net/http"
	"strings"
)

// Bucket operations.

func (s *Server) owner() owner {
	return owner{ID: s.opts.Owner.ID, DisplayName: s.opts.Owner.DisplayName}
}

func (s *Server) listBuckets(rq *request) error {
	buckets, err := s.backend.ListBuckets(rq.r.Context())
	if err != nil {
		return err
	}
	res := listAllMyBucketsResult{NS: s3NS, Owner: s.owner()}
	prefix := rq.query.get("prefix")
	for _, b := range buckets {
		if strings.HasPrefix(b.Name, prefix) {
			res.Buckets = append(res.Buckets, bucketXML{Name: b.Name, CreationDate: timeISO(b.CreationDate)})
		}
	}
	return s.writeXML(rq, http.StatusOK, &res)
}

func (s *Server) createBucket(rq *request) error {
	name := rq.route.bucket
	if !ValidBucketName(name) {
		e := *ErrInvalidBucketName
		e.Extra = map[string]string{"BucketName": name}
		return &e
	}
	if strings.EqualFold(rq.r.Header.Get("X-Amz-Bucket-Object-Lock-Enabled"), "true") {
		return ErrNotImplemented.Withf("Object Lock is not implemented.")
	}
	body, err := s.readBody(rq)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		var cfg createBucketConfiguration
		if err := xml.Unmarshal(body, &cfg); err != nil {
			return ErrMalformedXML.With(err)
		}
		if lc := cfg.LocationConstraint; lc != "" && lc != s.opts.Region {
			return ErrInvalidLocationConstraint.Withf("The specified location-constraint %q is not valid: this server is in %s.", lc, s.opts.Region)
		}
	}
	if err := s.backend.CreateBucket(rq.r.Context(), name); err != nil {
		return withBucket(err, name)
	}
	rq.w.Header().Set("Location", "/"+name)
	return s.writeEmpty(rq, http.StatusOK)
}

func (s *Server) deleteBucket(rq *request) error {
	if err := s.backend.DeleteBucket(rq.r.Context(), rq.route.bucket); err != nil {
		return withBucket(err, rq.route.bucket)
	}
	return s.writeEmpty(rq, http.StatusNoContent)
}

func (s *Server) headBucket(rq *request) error {
	if _, err := s.backend.HeadBucket(rq.r.Context(), rq.route.bucket); err != nil {
		return err
	}
	rq.w.Header().Set("X-Amz-Bucket-Region", s.opts.Region)
	return s.writeEmpty(rq, http.StatusOK)
}

// checkBucket answers NoSuchBucket for operations whose answer does not
// otherwise involve the Backend.
func (s *Server) checkBucket(rq *request) error {
	_, err := s.backend.HeadBucket(rq.r.Context(), rq.route.bucket)
	return withBucket(err, rq.route.bucket)
}

func (s *Server) getBucketLocation(rq *request) error {
	if err := s.checkBucket(rq); err != nil {
		return err
	}
	loc := s.opts.Region
	if loc == "us-east-1" {
		loc = "" // as S3: the empty constraint means us-east-1
	}
	return s.writeXML(rq, http.StatusOK, &locationConstraint{NS: s3NS, Location: loc})
}

// getBucketVersioning answers that versioning was never enabled, which is
// what clients probing for versioning support (rclone, s3cmd, Terraform)
// need to hear.
func (s *Server) getBucketVersioning(rq *request) error {
	if err := s.checkBucket(rq); err != nil {
		return err
	}
	return s.writeXML(rq, http.StatusOK, &versioningConfiguration{NS: s3NS})
}

// getACL answers GetBucketAcl and GetObjectAcl with the only ACL there is:
// the owner has full control.
func (s *Server) getACL(rq *request) error {
	if rq.route.key != "" {
		if _, err := s.backend.HeadObject(rq.r.Context(), rq.route.bucket, rq.route.key); err != nil {
			return withKey(err, rq.route.key)
		}
	} else if err := s.checkBucket(rq); err != nil {
		return err
	}
	o := s.owner()
	return s.writeXML(rq, http.StatusOK, &accessControlPolicy{
		NS:    s3NS,
		Owner: o,
		Grants: []grant{{
			Grantee:    grantee{XMLNSXSI: "http://www.w3.org/2001/XMLSchema-instance", Type: "CanonicalUser", ID: o.ID, DisplayName: o.DisplayName},
			Permission: "FULL_CONTROL",
		}},
	})
}

// getObjectTagging answers GetObjectTagging: objects carry no tags, so
// the set is empty. Clients that copy an object's tags with it (awscli v2
// does for multipart copies) ask for them first.
func (s *Server) getObjectTagging(rq *request) error {
	if _, err := s.backend.HeadObject(rq.r.Context(), rq.route.bucket, rq.route.key); err != nil {
		return withKey(err, rq.route.key)
	}
	return s.writeXML(rq, http.StatusOK, &tagging{NS: s3NS})
}

// withBucket adds the BucketName element S3 sends with bucket errors.
func withBucket(err error, bucket string) error {
	return withExtra(err, "BucketName", bucket, ErrNoSuchBucket, ErrBucketNotEmpty, ErrBucketAlreadyOwnedByYou, ErrBucketAlreadyExists)
}

// withKey adds the Key element S3 sends with NoSuchKey.
func withKey(err error, key string) error {
	return withExtra(err, "Key", key, ErrNoSuchKey)
}

func withExtra(err error, name, value string, codes ...*Error) error {
	if err == nil {
		return nil
	}
	e := AsError(err)
	for _, c := range codes {
		if e.Code == c.Code {
			cp := *e
			cp.Extra = map[string]string{name: value}
			for k, v := range e.Extra {
				cp.Extra[k] = v
			}
			if cp.Err == nil && err != error(e) {
				cp.Err = err
			}
			return &cp
		}
	}
	return err
}
