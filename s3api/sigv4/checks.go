package sigv4

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// checkScope checks the credential scope against the request date and the
// configured regions; errors wrap kind.
func (v *Verifier) checkScope(s scope, date time.Time, kind error) error {
	if d := date.UTC().Format(yyyymmdd); s.date != d {
		return fmt.Errorf("%w: credential date %s does not match request date %s", kind, s.date, d)
	}
	if _, ok := v.regions[s.region]; !ok {
		return fmt.Errorf("%w: the region %q is wrong", kind, s.region)
	}
	return nil
}

func (v *Verifier) lookup(r *http.Request, accessKeyID string) (Credentials, error) {
	creds, err := v.creds.LookupCredentials(r.Context(), accessKeyID)
	switch {
	case errors.Is(err, ErrInvalidAccessKeyID):
		return creds, err
	case err != nil:
		return creds, fmt.Errorf("sigv4: credentials lookup: %w", err)
	case creds.SecretAccessKey == "":
		return creds, fmt.Errorf("%w: %q has no secret", ErrInvalidAccessKeyID, accessKeyID)
	}
	creds.AccessKeyID = accessKeyID
	return creds, nil
}

// checkToken enforces the session token rule for the presented tokens
// (none or one).
func checkToken(creds Credentials, tokens []string) error {
	switch {
	case creds.SessionToken == "" && len(tokens) > 0:
		return fmt.Errorf("%w: these credentials take no security token", ErrInvalidToken)
	case creds.SessionToken != "" && len(tokens) == 0:
		return fmt.Errorf("%w: missing X-Amz-Security-Token", ErrInvalidToken)
	case creds.SessionToken != "" && !signaturesEqual(tokens[0], creds.SessionToken):
		return ErrInvalidToken
	}
	return nil
}

// requestDate returns X-Amz-Date, or else the Date header.
func requestDate(h http.Header) (time.Time, error) {
	if v := h.Get("X-Amz-Date"); v != "" {
		t, err := time.Parse(iso8601Basic, v)
		if err != nil {
			return t, fmt.Errorf("%w: X-Amz-Date %q is not YYYYMMDDTHHMMSSZ", ErrMissingDate, v)
		}
		return t, nil
	}
	if v := h.Get("Date"); v != "" {
		t, err := http.ParseTime(v)
		if err != nil {
			return t, fmt.Errorf("%w: unparsable Date %q", ErrMissingDate, v)
		}
		return t.UTC(), nil
	}
	return time.Time{}, ErrMissingDate
}
