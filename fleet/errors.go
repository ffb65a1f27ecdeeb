package fleet

import (
	"errors"
	"fmt"
)

// ErrorKind says which HTTP status an Error maps to.
type ErrorKind int

// Error kinds.
const (
	// KindInvalid is the caller's bad input: 400.
	KindInvalid ErrorKind = iota + 1
	// KindNotFound is a missing resource: 404.
	KindNotFound
	// KindConflict is a request that the resource's current state
	// forbids: 409.
	KindConflict
	// KindPreconditionFailed is an If-Match or If-None-Match that did not
	// hold: 412.
	KindPreconditionFailed
)

// Error is an error the caller can act on. Field, when set, is the JSON
// path of the offending input (properties.strategy.stages[1].name) and is
// also the start of Message.
type Error struct {
	Kind    ErrorKind
	Code    string
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Invalid returns a 400 error about a field; the message starts with the
// field's path.
func Invalid(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = field + ": " + msg
	}
	return &Error{Kind: KindInvalid, Code: "InvalidArgument", Field: field, Message: msg}
}

// NotFound returns a 404 error.
func NotFound(format string, args ...any) *Error {
	return &Error{Kind: KindNotFound, Code: "ResourceNotFound", Message: fmt.Sprintf(format, args...)}
}

// Conflict returns a 409 error.
func Conflict(format string, args ...any) *Error {
	return &Error{Kind: KindConflict, Code: "Conflict", Message: fmt.Sprintf(format, args...)}
}

// PreconditionFailed returns a 412 error.
func PreconditionFailed(format string, args ...any) *Error {
	return &Error{Kind: KindPreconditionFailed, Code: "PreconditionFailed", Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of the Error in err's chain, or 0 if none.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}
