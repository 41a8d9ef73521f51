package sigv4

import (
	"net/http"
	"net/url"
	"testing"
)

func TestCanonicalHeaderValue(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		"a":                  "a",
		"  a  ":              "a",
		"\ta b\t":            "a b",
		"a  b   c":           "a b c",
		"  second   value  ": "second value",
	} {
		if got := canonicalHeaderValue(in); got != want {
			t.Errorf("canonicalHeaderValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	for raw, want := range map[string]string{
		"":                        "",
		"acl":                     "acl=",
		"b=2&a=1&a=0":             "a=0&a=1&b=2",
		"q=a+b&r=a%20b":           "q=a%20b&r=a%20b",
		"k=%7E%2f%41&&":           "k=~%2FA",
		"%E2%82%AC=x;y":           "%E2%82%AC=x%3By",
		"X-Amz-Signature=s&x-id=": "X-Amz-Signature=s&x-id=",
	} {
		params, err := parseQuery(raw)
		if err != nil {
			t.Fatalf("parseQuery(%q): %v", raw, err)
		}
		if got := canonicalQuery(params, ""); got != want {
			t.Errorf("canonicalQuery(%q) = %q, want %q", raw, got, want)
		}
	}
	params, _ := parseQuery("X-Amz-Signature=s&a=1")
	if got := canonicalQuery(params, qSignature); got != "a=1" {
		t.Errorf("presigned canonical query = %q", got)
	}
	if _, err := parseQuery("a=%zz"); !errorsIs(err, ErrInvalidArgument) {
		t.Errorf("bad escape: %v", err)
	}
}

func TestRequestPath(t *testing.T) {
	cases := []struct {
		requestURI string
		url        string
		want       []string
	}{
		{"/b/a%20b?x=1", "", []string{"/b/a%20b"}},
		{"http://h:9000/b/k%7E?x", "", []string{"/b/k%7E", "/b/k~"}},
		{"http://h", "", []string{"/"}},
		{"/b/$x", "", []string{"/b/$x", "/b/%24x"}},
		{"", "http://h/b/a%2Fb", []string{"/b/a%2Fb", "/b/a/b"}},
		{"", "http://h", []string{"/"}},
		// A handler rewrote the URL: the URL wins over the request line.
		{"/old/path", "http://h/new/path", []string{"/new/path"}},
	}
	for _, c := range cases {
		r := &http.Request{RequestURI: c.requestURI, URL: &url.URL{}}
		if c.url != "" {
			r.URL, _ = url.Parse(c.url)
		} else {
			r.URL, _ = url.ParseRequestURI(c.requestURI)
		}
		got := canonicalPaths(r)
		if len(got) != len(c.want) || got[0] != c.want[0] || (len(got) > 1 && got[1] != c.want[1]) {
			t.Errorf("canonicalPaths(%q, %q) = %q, want %q", c.requestURI, c.url, got, c.want)
		}
	}
	r := &http.Request{URL: &url.URL{Opaque: "//h/b/a%20b"}}
	if got := requestPath(r); got != "/b/a%20b" {
		t.Errorf("opaque path = %q", got)
	}
}
