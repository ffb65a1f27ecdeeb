package api

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
)

// ARM's request-tracking headers. Every response carries both: the
// request's own id, and the correlation id that ties together the
// requests of one client operation (the caller's, when it sent one).
const (
	HeaderRequestID     = "x-ms-request-id"
	HeaderCorrelationID = "x-ms-correlation-request-id"
)

type requestIDKey struct{}

// RequestIDs gives every request an id and a correlation id, sets both on
// the response before anything else can answer, and keeps the id in the
// request's context (see RequestID). Wrap the whole server with it, so
// that errors, health checks and refusals carry them too.
func RequestIDs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, setRequestIDs(w, r))
	})
}

// setRequestIDs sets the two headers on w, unless a handler in front
// already did, and returns r with the request id in its context.
func setRequestIDs(w http.ResponseWriter, r *http.Request) *http.Request {
	if id, ok := r.Context().Value(requestIDKey{}).(string); ok && w.Header().Get(HeaderRequestID) == id {
		return r
	}
	id := newUUID()
	corr := r.Header.Get(HeaderCorrelationID)
	if !validCorrelationID(corr) {
		corr = newUUID()
	}
	w.Header().Set(HeaderRequestID, id)
	w.Header().Set(HeaderCorrelationID, corr)
	return r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
}

// RequestID is the id RequestIDs gave the request, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// validCorrelationID accepts what a client may reasonably send as a
// correlation id: up to 128 printable ASCII characters. Anything else is
// replaced, never echoed.
func validCorrelationID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
