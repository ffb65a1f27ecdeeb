package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// Role is what a caller may do.
type Role int

// Roles, each allowed everything the one before is.
const (
	Reader Role = iota + 1
	Operator
	Admin
)

func (r Role) String() string {
	switch r {
	case Reader:
		return "reader"
	case Operator:
		return "operator"
	case Admin:
		return "admin"
	}
	return "none"
}

// ParseRole parses "reader", "operator" or "admin".
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "reader":
		return Reader, nil
	case "operator":
		return Operator, nil
	case "admin":
		return Admin, nil
	}
	return 0, fmt.Errorf("%q is not a role: use reader, operator or admin", s)
}

// Principal is an authenticated caller.
type Principal struct {
	Name string
	Role Role
	// Internal marks the server calling itself (its engine reaching the
	// simulated cloud it hosts); no token file or flag sets it.
	Internal bool
}

// Hash returns the hex SHA-256 of a token, the form tokens are kept in.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewToken returns a new random token.
func NewToken() string {
	var b [32]byte
	rand.Read(b[:])
	return "cvn_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// Tokens is a set of known token hashes. It is safe for concurrent use.
type Tokens struct {
	mu     sync.RWMutex
	hashes map[string]Principal
}

// NewTokens returns an empty set.
func NewTokens() *Tokens { return &Tokens{hashes: map[string]Principal{}} }

// Add adds a token in clear; only its hash is kept.
func (t *Tokens) Add(token string, p Principal) { t.AddHash(Hash(token), p) }

// AddHash adds a token by its hex SHA-256 hash.
func (t *Tokens) AddHash(hash string, p Principal) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.hashes[strings.ToLower(hash)] = p
}

// Len is the number of tokens known.
func (t *Tokens) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.hashes)
}

// Check returns the principal a token belongs to.
func (t *Tokens) Check(token string) (Principal, bool) {
	if token == "" {
		return Principal{}, false
	}
	h := Hash(token)
	t.mu.RLock()
	defer t.mu.RUnlock()
	for known, p := range t.hashes {
		if subtle.ConstantTimeCompare([]byte(known), []byte(h)) == 1 {
			return p, true
		}
	}
	return Principal{}, false
}

// Bearer returns the token of an "Authorization: Bearer" header.
func Bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

type principalKey struct{}

// WithPrincipal returns a context carrying the caller.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller a context carries.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
