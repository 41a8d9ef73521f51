package replication

import (
	"context"
	"encoding/xml"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/raft"
)

// Forwarding. Any node takes any S3 request. One the node cannot serve
// itself (a write, or a linearizable read, on a node that is not the
// leader) is passed to the leader's S3 endpoint as it is, body streaming
// through, and the leader's answer is passed back: clients never need to
// know which node leads. The Host header is kept, so the client's
// signature, computed for the node it called, still verifies on the
// leader. A forwarded request carries ForwardedHeader and is never
// forwarded again, so two nodes that disagree on the leader cannot pass
// a request back and forth: the second one answers 503 and the client
// retries.

const (
	// ConsistencyHeader asks for a read's consistency: "stale" or
	// "linearizable" (the default unless the node is configured stale).
	ConsistencyHeader = "X-Mapstore-Consistency"
	// ForwardedHeader marks a request forwarded by a node (its id).
	ForwardedHeader = "X-Mapstore-Forwarded-By"
)

// ForwardOptions configure Handler.
type ForwardOptions struct {
	// S3URL returns the S3 endpoint (http://host:port) of the server with
	// the given raft id. Required.
	S3URL func(id string) (string, bool)
	// Stale makes reads stale unless a request asks otherwise.
	Stale bool
	// Transport sends forwarded requests. Default: a transport made for
	// many concurrent requests to one host.
	Transport http.RoundTripper
}

// Handler returns the node's S3 endpoint: local serves what this node
// may; the rest goes to the leader.
func (n *Node) Handler(local http.Handler, opts ForwardOptions) http.Handler {
	if opts.Transport == nil {
		opts.Transport = &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        512,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
		}
	}
	f := &forwarder{n: n, local: local, opts: opts}
	f.proxy = &httputil.ReverseProxy{
		Rewrite:       f.rewrite,
		Transport:     opts.Transport,
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			n.log.Warn("forwarding to the leader failed", "method", r.Method, "path", r.URL.Path, "err", err)
			writeUnavailable(w, r, "The leader could not be reached: retry.")
		},
	}
	return f
}

type forwarder struct {
	n     *Node
	local http.Handler
	opts  ForwardOptions
	proxy *httputil.ReverseProxy
}

type targetKey struct{}

func (f *forwarder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := Linearizable
	if f.opts.Stale {
		c = Stale
	}
	switch strings.ToLower(r.Header.Get(ConsistencyHeader)) {
	case "stale":
		c = Stale
	case "linearizable":
		c = Linearizable
	}
	isRead := r.Method == http.MethodGet || r.Method == http.MethodHead
	if (isRead && c == Stale) || f.n.ready() || r.Header.Get(ForwardedHeader) != "" {
		if !isRead {
			c = Linearizable
		}
		f.local.ServeHTTP(w, r.WithContext(WithConsistency(r.Context(), c)))
		return
	}
	_, id := f.n.raft.LeaderWithID()
	if id == "" || id == raft.ServerID(f.n.opts.ID) {
		// No leader known, or this node leads but is not caught up yet.
		writeUnavailable(w, r, "The cluster has no leader at the moment: retry.")
		return
	}
	target, ok := f.opts.S3URL(string(id))
	if !ok {
		writeUnavailable(w, r, "The leader's address is not known yet: retry.")
		return
	}
	u, err := url.Parse(target)
	if err != nil {
		writeUnavailable(w, r, "The leader's address is not usable: retry.")
		return
	}
	f.proxy.ServeHTTP(w, r.WithContext(contextWithTarget(r, u)))
}

func (f *forwarder) rewrite(pr *httputil.ProxyRequest) {
	u := pr.In.Context().Value(targetKey{}).(*url.URL)
	pr.SetURL(u)
	pr.Out.URL.Path, pr.Out.URL.RawPath = pr.In.URL.Path, pr.In.URL.RawPath // not joined with u's
	pr.Out.Host = pr.In.Host                                                // signed by the client
	pr.Out.Header.Set(ForwardedHeader, f.n.opts.ID)
}

// writeUnavailable answers an S3 ServiceUnavailable, which S3 clients
// retry.
func writeUnavailable(w http.ResponseWriter, r *http.Request, msg string) {
	h := w.Header()
	h.Set("Retry-After", "1")
	if r.Method == http.MethodHead {
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	h.Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusServiceUnavailable)
	body, _ := xml.Marshal(struct {
		XMLName  xml.Name `xml:"Error"`
		Code     string
		Message  string
		Resource string
	}{Code: "ServiceUnavailable", Message: msg, Resource: r.URL.Path})
	w.Write([]byte(xml.Header))
	w.Write(body)
}

func contextWithTarget(r *http.Request, u *url.URL) context.Context {
	return context.WithValue(r.Context(), targetKey{}, u)
}
