package api

import (
	"net/http"
	"strings"

	"github.com/caravan-dev/caravan/store"
)

// precondition reads If-Match and If-None-Match. ETags may be sent with
// or without quotes, and weak (W/) ones compare by value.
func precondition(r *http.Request) store.Precondition {
	return store.Precondition{IfMatch: unquote(r.Header.Get("If-Match")), IfNoneMatch: unquote(r.Header.Get("If-None-Match"))}
}

func unquote(etag string) string {
	e := strings.TrimSpace(etag)
	e = strings.TrimPrefix(e, "W/")
	if len(e) >= 2 && e[0] == '"' && e[len(e)-1] == '"' {
		e = e[1 : len(e)-1]
	}
	return e
}

// setETag sets the ETag response header.
func setETag(w http.ResponseWriter, etag string) {
	if etag != "" {
		w.Header().Set("ETag", `"`+etag+`"`)
	}
}
