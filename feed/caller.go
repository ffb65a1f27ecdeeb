package feed

import "context"

// Caller is who caused a change.
type Caller struct {
	// Name is the token's name, or "engine".
	Name string `json:"name"`
	// Role is the token's role (reader, operator, admin); empty for the
	// engine.
	Role string `json:"role,omitempty"`
}

// Engine is the caller of the changes the engine makes on its own.
var Engine = Caller{Name: "engine"}

type callerKey struct{}

// WithCaller returns ctx carrying the caller of the request it serves.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller ctx carries, or Engine.
func CallerFrom(ctx context.Context) Caller {
	if c, ok := ctx.Value(callerKey{}).(Caller); ok && c.Name != "" {
		return c
	}
	return Engine
}
