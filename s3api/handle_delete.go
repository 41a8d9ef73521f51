package s3api

import (
	"net/http"
	"sync"
)

// DeleteObjects.
//
// The Server loops over the keys, calling Backend.DeleteObject with
// bounded concurrency (Limits.DeleteConcurrency), rather than asking the
// Backend for a batch. S3 gives a multi-object delete no atomicity (each
// key succeeds or fails on its own and is reported on its own), so a batch
// method would add a second, larger contract to every Backend without
// adding a guarantee. Running the deletes concurrently lets a replicated
// Backend's write batcher group them into few raft entries, which is where
// a batch would have saved time.

// maxDeleteObjects is S3's limit of keys per DeleteObjects request.
const maxDeleteObjects = 1000

func (s *Server) deleteObjects(rq *request) error {
	body, err := s.readBody(rq)
	if err != nil {
		return err
	}
	// S3 requires the body to be protected by Content-MD5 or a checksum;
	// reaching EOF above means whichever was sent has been verified.
	if _, ok := rq.auth.Body.Checksum(); !ok && rq.r.Header.Get("Content-Md5") == "" {
		return ErrInvalidRequest.Withf("Missing required header for this request: Content-MD5 or x-amz-checksum-*.")
	}
	var req deleteRequest
	if err := decodeXML(body, &req); err != nil {
		return err
	}
	if len(req.Objects) == 0 || len(req.Objects) > maxDeleteObjects {
		return ErrMalformedXML.Withf("The request must name 1 to %d objects.", maxDeleteObjects)
	}
	if err := s.checkBucket(rq); err != nil {
		return err
	}

	errs := make([]error, len(req.Objects))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(s.opts.Limits.DeleteConcurrency, len(req.Objects)) {
		wg.Go(func() {
			for i := range work {
				errs[i] = s.deleteOne(rq, req.Objects[i].Key, req.Objects[i].VersionID)
			}
		})
	}
	for i := range req.Objects {
		work <- i
	}
	close(work)
	wg.Wait()

	out := deleteResult{NS: s3NS}
	for i, o := range req.Objects {
		if errs[i] != nil {
			e := AsError(errs[i])
			if e.Status >= 500 {
				s.log.Error("s3api: DeleteObjects", "request_id", rq.id, "key", o.Key, "error", errs[i])
			}
			out.Errors = append(out.Errors, deleteErrorXML{Key: o.Key, Code: e.Code, Message: e.Message})
		} else if !req.Quiet {
			out.Deleted = append(out.Deleted, deletedXML{Key: o.Key})
		}
	}
	return s.writeXML(rq, http.StatusOK, &out)
}

func (s *Server) deleteOne(rq *request, key, versionID string) error {
	switch {
	case key == "":
		return ErrInvalidArgument.Withf("The key must not be empty.")
	case len(key) > MaxKeyLength:
		return ErrKeyTooLong
	case versionID != "" && versionID != "null":
		return ErrInvalidArgument.Withf("Invalid version id specified.")
	}
	return s.backend.DeleteObject(rq.r.Context(), rq.route.bucket, key)
}
