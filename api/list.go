package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// listPage is ARM's list shape.
type listPage struct {
	Value    []json.RawMessage `json:"value"`
	NextLink string            `json:"nextLink,omitempty"`
}

func (a *API) listFleets(w http.ResponseWriter, r *http.Request, rt route) error {
	opts := store.ListOptions{Kind: store.Fleets}
	if rt.bySubscription {
		opts.ParentPrefix = store.CanonicalID("/subscriptions/"+rt.sub) + "/"
	} else {
		opts.Parent = store.CanonicalID(rt.rgID())
	}
	if _, err := filterFor(r, rt); err != nil {
		return err
	}
	return a.list(w, r, opts, nil)
}

func (a *API) listChildren(w http.ResponseWriter, r *http.Request, rt route) error {
	ctx := r.Context()
	filter, err := filterFor(r, rt)
	if err != nil {
		return err
	}
	kind := map[string]store.Kind{collMembers: store.Members, collStrategies: store.Strategies, collRuns: store.Runs, collProfiles: store.AutoUpgradeProfiles}[rt.coll]
	var decorate func(store.Record) (json.RawMessage, error)
	if kind == store.Members {
		decorate = func(rec store.Record) (json.RawMessage, error) {
			m, err := store.Decode[fleet.Member](rec)
			if err != nil {
				return nil, err
			}
			if !filter.matches(m) {
				return nil, nil
			}
			m.Properties.Cluster = a.clusters.info(ctx, m.Properties.ClusterResourceID, false)
			return json.Marshal(m)
		}
	}
	return a.list(w, r, store.ListOptions{Kind: kind, Parent: store.CanonicalID(rt.fleetID())}, decorate)
}

// list writes one page of records. The page size is the API's, or a
// smaller $top; $skipToken carries on from a previous page's nextLink.
// decorate may rewrite each record's body, or leave it out of the page
// by returning none (a filtered page may hold fewer than $top, and its
// nextLink carries on where the store's page ended).
func (a *API) list(w http.ResponseWriter, r *http.Request, opts store.ListOptions, decorate func(store.Record) (json.RawMessage, error)) error {
	q := r.URL.Query()
	opts.Limit = a.cfg.PageSize
	if top := q.Get("$top"); top != "" {
		n, err := strconv.Atoi(top)
		if err != nil || n < 1 {
			return fleet.Invalid("$top", "%q is not a page size: use a whole number of at least 1", top)
		}
		opts.Limit = min(n, a.cfg.PageSize)
	}
	if tok := q.Get("$skipToken"); tok != "" {
		after, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || !strings.HasPrefix(string(after), "/") {
			return fleet.Invalid("$skipToken", "the skip token is not one caravan issued; start the listing again without it")
		}
		opts.After = string(after)
	}
	page, checked, err := store.ListShared(r.Context(), a.cfg.Store, opts)
	if err != nil {
		return err
	}
	sw, shaping := w.(*shapingWriter)
	out := listPage{Value: make([]json.RawMessage, 0, len(page.Records))}
	for i, rec := range page.Records {
		if !checked[i] {
			if err := store.CheckBody(rec); err != nil {
				return err
			}
		}
		body := json.RawMessage(rec.Body)
		switch {
		case decorate != nil:
			if body, err = decorate(rec); err != nil {
				return err
			}
			if body == nil {
				continue
			}
			if shaping {
				body = bytes.TrimSuffix(shapeBody(body, sw.version), []byte("\n"))
			}
		case shaping:
			body = bytes.TrimSuffix(a.shapeStored(rec, sw.version), []byte("\n"))
		}
		out.Value = append(out.Value, body)
	}
	if shaping {
		sw.shaped = true
	}
	if page.Next != "" {
		next := url.Values{}
		for k, v := range q {
			if k != "$skipToken" {
				next[k] = v
			}
		}
		next.Set("$skipToken", base64.RawURLEncoding.EncodeToString([]byte(page.Next)))
		out.NextLink = a.baseURL(r) + r.URL.Path + "?" + next.Encode()
	}
	writePage(w, out)
	return nil
}

// writePage writes a list page as writeJSON would, without encoding the
// resources again: they are JSON already, checked or written by caravan.
func writePage(w http.ResponseWriter, p listPage) {
	var b bytes.Buffer
	n := len(`{"value":[]}`) + 2 + len(p.NextLink) + len(p.Value)
	for _, v := range p.Value {
		n += len(v)
	}
	b.Grow(n)
	b.WriteString(`{"value":[`)
	for i, v := range p.Value {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(v)
	}
	b.WriteByte(']')
	if p.NextLink != "" {
		b.WriteString(`,"nextLink":`)
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.Encode(p.NextLink)
		b.Truncate(b.Len() - 1) // Encode's newline
	}
	b.WriteString("}\n")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}

// baseURL is the configured base URL, or else the scheme and address of
// the listener the request came in on; never the Host header.
func (a *API) baseURL(r *http.Request) string {
	if a.cfg.BaseURL != "" {
		return strings.TrimSuffix(a.cfg.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return scheme + "://" + addr.String()
	}
	return scheme + "://localhost"
}
