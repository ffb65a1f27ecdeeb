package auth

import (
	"encoding/json"
	"net/http"
)

// Authorize checks a request's bearer token and that its caller's role is
// at least need, the role of the operation the server matched the request
// to (never a guess from the raw path). It returns the request with the
// caller in its context and true; otherwise it has answered 401 (no or
// unknown token) or 403 (role too low) in ARM's error shape, naming what
// the request does (what), and returns false. Tokens are never logged or
// echoed.
func Authorize(tokens *Tokens, w http.ResponseWriter, r *http.Request, need Role, what string) (*http.Request, bool) {
	token := Bearer(r)
	if token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="caravan"`)
		refuse(w, r, http.StatusUnauthorized, "AuthenticationFailed", "this request needs an Authorization: Bearer <token> header; pass --token or set CARAVAN_TOKEN")
		return r, false
	}
	p, ok := tokens.Check(token)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="caravan", error="invalid_token"`)
		refuse(w, r, http.StatusUnauthorized, "AuthenticationFailed", "the bearer token is not one this server knows; check --token, CARAVAN_TOKEN or the server's token file")
		return r, false
	}
	if p.Role < need {
		if what == "" {
			what = r.Method + " " + r.URL.Path
		}
		refuse(w, r, http.StatusForbidden, "AuthorizationFailed", "caller "+p.Name+" has role "+p.Role.String()+"; to "+what+" needs role "+need.String())
		return r, false
	}
	return r.WithContext(WithPrincipal(r.Context(), p)), true
}

// Policy returns the role a request needs and what it does, from the
// route the server matched it to.
type Policy func(*http.Request) (need Role, what string)

// Middleware authorizes each request by the role policy says it needs
// (see Authorize) before passing it on.
func Middleware(tokens *Tokens, policy Policy, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		need, what := policy(r)
		if r, ok := Authorize(tokens, w, r, need, what); ok {
			next.ServeHTTP(w, r)
		}
	})
}

// ReadsOrAdmin is the policy of an endpoint whose every write is an
// administrator's: GET needs reader, any other method admin.
func ReadsOrAdmin(r *http.Request) (Role, string) {
	if r.Method == http.MethodGet {
		return Reader, ""
	}
	return Admin, ""
}

// refuse answers a request that is not let through. A body the caller
// announced is left unread and the connection closed after the answer, so
// a caller that never sends its body cannot hold the connection.
func refuse(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("x-ms-error-code", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
