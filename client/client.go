package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/caravan-dev/caravan/fleet"
)

// DefaultAPIVersion is the api-version the client sends: the newest
// caravan serves, so that responses carry every field caravan has (such
// as the resolved maxConcurrency of stages and groups) and requests may
// send them (maxConcurrency, member labels).
const DefaultAPIVersion = "2026-11-02-preview"

// DefaultSubscription is the subscription used when neither a call nor the
// client names one.
const DefaultSubscription = "00000000-0000-0000-0000-000000000000"

// Config configures a Client.
type Config struct {
	// URL is the server's base URL, such as http://127.0.0.1:8080. A bare
	// host:port means http.
	URL string
	// Token is the bearer token sent with every request.
	Token string
	// APIVersion defaults to DefaultAPIVersion.
	APIVersion string
	// Subscription and ResourceGroup fill a FleetRef that leaves them
	// empty. Subscription defaults to DefaultSubscription.
	Subscription  string
	ResourceGroup string
	// HTTPClient defaults to a client with a one-minute timeout.
	HTTPClient *http.Client
	// UserAgent is sent as the User-Agent header.
	UserAgent string
}

// Client calls a caravan server. It is safe for concurrent use.
type Client struct {
	base       *url.URL
	token      string
	apiVersion string
	sub, rg    string
	http       *http.Client
	userAgent  string
}

// New returns a client for the server at cfg.URL.
func New(cfg Config) (*Client, error) {
	base, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:       base,
		token:      cfg.Token,
		apiVersion: cfg.APIVersion,
		sub:        cfg.Subscription,
		rg:         cfg.ResourceGroup,
		http:       cfg.HTTPClient,
		userAgent:  cfg.UserAgent,
	}
	if c.apiVersion == "" {
		c.apiVersion = DefaultAPIVersion
	}
	if c.sub == "" {
		c.sub = DefaultSubscription
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: time.Minute}
	}
	// Redirects are never followed: one would carry the method, the body
	// and the token to a path (or a server) the caller did not name.
	hc := *c.http
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http = &hc
	if c.userAgent == "" {
		c.userAgent = "caravan-client"
	}
	return c, nil
}

// ParseURL parses a server address: a URL, or a bare host:port (http).
func ParseURL(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("no server address: give a URL such as http://127.0.0.1:8080")
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a server address: %w; give a URL such as http://127.0.0.1:8080", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%q is not a server address: the scheme must be http or https", s)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%q is not a server address: it has no host; give a URL such as http://127.0.0.1:8080", s)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// URL is the server's base URL.
func (c *Client) URL() string { return c.base.String() }

// Subscription is the client's default subscription.
func (c *Client) Subscription() string { return c.sub }

// ResourceGroup is the client's default resource group, or "".
func (c *Client) ResourceGroup() string { return c.rg }

// Option modifies one request.
type Option func(*http.Request)

// IfMatch makes a write or action happen only if the resource's ETag is
// etag ("*": only if it exists).
func IfMatch(etag string) Option {
	return func(r *http.Request) {
		if etag != "" {
			r.Header.Set("If-Match", quoteETag(etag))
		}
	}
}

// IfNoneMatch makes a write happen only if the resource's ETag is not etag
// ("*": only if it does not exist yet).
func IfNoneMatch(etag string) Option {
	return func(r *http.Request) {
		if etag != "" {
			r.Header.Set("If-None-Match", quoteETag(etag))
		}
	}
}

func quoteETag(e string) string {
	if e == "*" || strings.HasPrefix(e, `"`) || strings.HasPrefix(e, "W/") {
		return e
	}
	return `"` + e + `"`
}

// ref fills a FleetRef's empty subscription and resource group from the
// client's defaults and checks that it names a fleet.
func (c *Client) ref(r fleet.FleetRef) (fleet.FleetRef, error) {
	if r.Subscription == "" {
		r.Subscription = c.sub
	}
	if r.ResourceGroup == "" {
		r.ResourceGroup = c.rg
	}
	switch {
	case r.ResourceGroup == "":
		return r, errors.New("no resource group given")
	case r.Fleet == "":
		return r, errors.New("no fleet name given")
	}
	if err := CheckScope("subscription", r.Subscription); err != nil {
		return r, err
	}
	if err := CheckScope("resource group", r.ResourceGroup); err != nil {
		return r, err
	}
	return r, CheckName("fleet", r.Fleet)
}

// childRef is ref, and a check of the name of a resource in the fleet.
func (c *Client) childRef(r fleet.FleetRef, coll, name string) (fleet.FleetRef, error) {
	r, err := c.ref(r)
	if err != nil {
		return r, err
	}
	return r, CheckName(collNouns[coll], name)
}

// endpoint is the URL of an ARM path with the api-version.
func (c *Client) endpoint(path string, query url.Values) string {
	u := *c.base
	u.Path = c.base.Path + path
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("api-version", c.apiVersion)
	u.RawQuery = q.Encode()
	return u.String()
}

// do sends a request and decodes a 2xx JSON answer into out (when out is
// not nil). It returns the status.
func (c *Client) do(ctx context.Context, method, rawURL string, in, out any, opts ...Option) (int, error) {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return 0, fmt.Errorf("error encoding the request: %w", err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, body)
	if err != nil {
		return 0, fmt.Errorf("error building the request: %w", err)
	}
	if err := checkPath(req.URL); err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, &UnreachableError{URL: c.URL(), Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, &UnreachableError{URL: c.URL(), Err: fmt.Errorf("error reading the answer to %s %s: %w", method, req.URL.Path, err)}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, responseError(resp, method, req.URL, data)
	}
	if out != nil && resp.StatusCode != http.StatusNoContent && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("the answer to %s %s is not what caravan sends: %w; is %s a caravan server?", method, req.URL.Path, err, c.URL())
		}
	}
	return resp.StatusCode, nil
}

// unwrapURLError drops net/http's "Get "url": " prefix, which repeats the
// URL the caller already names.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// responseError builds the *Error for a non-2xx answer.
func responseError(resp *http.Response, method string, u *url.URL, body []byte) error {
	e := &Error{StatusCode: resp.StatusCode, Method: method, URL: redactQuery(u)}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		e.Code = "Redirect"
		e.Message = fmt.Sprintf("the server answered %s %s with a redirect to %q; caravan never follows redirects (they could carry the request and its token elsewhere): check --server, and the names in the request", method, u.Path, resp.Header.Get("Location"))
		return e
	}
	var arm struct {
		Error *fleet.ErrorDetail `json:"error"`
	}
	if json.Unmarshal(body, &arm) == nil && arm.Error != nil && (arm.Error.Code != "" || arm.Error.Message != "") {
		e.Code, e.Message, e.Target = arm.Error.Code, arm.Error.Message, arm.Error.Target
		return e
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	e.Message = msg
	return e
}

func redactQuery(u *url.URL) string {
	c := *u
	c.RawQuery = ""
	return c.String()
}

// list reads every page of a list, following nextLink.
func list[T any](ctx context.Context, c *Client, first string) ([]T, error) {
	out := []T{}
	next := first
	for pages := 0; next != ""; pages++ {
		if pages > 100000 {
			return nil, errors.New("the list has more than 100000 pages; the server's nextLink does not end")
		}
		var page struct {
			Value    []T    `json:"value"`
			NextLink string `json:"nextLink"`
		}
		if _, err := c.do(ctx, http.MethodGet, next, nil, &page); err != nil {
			return nil, err
		}
		out = append(out, page.Value...)
		if page.NextLink == "" {
			break
		}
		u, err := c.sameServer(page.NextLink)
		if err != nil {
			return nil, err
		}
		next = u
	}
	return out, nil
}

// sameServer resolves a nextLink on the client's own server: its path and
// query are kept, its scheme and host replaced by the client's, so the
// token never goes to another server, and a server that names itself by
// another address (127.0.0.1 for localhost, or its listener behind a
// name) still pages.
func (c *Client) sameServer(link string) (string, error) {
	u, err := c.base.Parse(link)
	if err != nil {
		return "", fmt.Errorf("the server sent a nextLink that is not a URL (%q): %w", link, err)
	}
	u.Scheme, u.Host, u.User = c.base.Scheme, c.base.Host, nil
	if u.Query().Get("api-version") == "" {
		q := u.Query()
		q.Set("api-version", c.apiVersion)
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// Health checks that the server answers its health endpoint.
func (c *Client) Health(ctx context.Context) error {
	u := *c.base
	u.Path = c.base.Path + "/healthz"
	_, err := c.do(ctx, http.MethodGet, u.String(), nil, nil)
	return err
}
