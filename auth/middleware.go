package auth

import (
	"encoding/json"
	"net/http"
)

// Middleware lets through requests whose bearer token is known and whose
// caller's role allows them, with the caller in the request's context.
// Others get 401 (no or unknown token) or 403 (role too low) in ARM's
// error shape. Tokens are never logged or echoed.
func Middleware(tokens *Tokens, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := Bearer(r)
		if token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="caravan"`)
			writeError(w, http.StatusUnauthorized, "AuthenticationFailed", "this request needs an Authorization: Bearer <token> header; pass --token or set CARAVAN_TOKEN")
			return
		}
		p, ok := tokens.Check(token)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="caravan", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "AuthenticationFailed", "the bearer token is not one this server knows; check --token, CARAVAN_TOKEN or the server's token file")
			return
		}
		if need := Required(r); p.Role < need {
			writeError(w, http.StatusForbidden, "AuthorizationFailed", "caller "+p.Name+" has role "+p.Role.String()+"; "+r.Method+" "+r.URL.Path+" needs "+need.String())
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("x-ms-error-code", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
