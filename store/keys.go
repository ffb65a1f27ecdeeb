package store

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// MaxKeyBytes caps the length of a record's id, parent, ETag and state.
// ARM ids caravan serves are a few hundred bytes at most; the cap keeps
// every key inside what each database can index (a PostgreSQL index entry
// holds about 2,700 bytes).
const MaxKeyBytes = 1024

// ErrInvalidKey is what every store returns, for errors.Is, for a key it
// cannot hold: one with a NUL byte, invalid UTF-8, or more than
// MaxKeyBytes bytes. The error is an *InvalidKeyError.
var ErrInvalidKey = errors.New("invalid key")

// InvalidKeyError names the field of a key a store refuses and why.
type InvalidKeyError struct {
	// Field is "id", "parent", "etag", "state" or "kind".
	Field string
	// Reason says what is wrong, such as "contains a NUL byte".
	Reason string
}

func (e *InvalidKeyError) Error() string {
	return fmt.Sprintf("the resource %s %s", e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidKey) hold.
func (e *InvalidKeyError) Is(target error) bool { return target == ErrInvalidKey }

// CheckKey returns an *InvalidKeyError if v cannot be a key.
func CheckKey(field, v string) error {
	switch {
	case len(v) > MaxKeyBytes:
		return &InvalidKeyError{Field: field, Reason: fmt.Sprintf("is %d bytes long; the limit is %d", len(v), MaxKeyBytes)}
	case !utf8.ValidString(v):
		return &InvalidKeyError{Field: field, Reason: "is not valid UTF-8"}
	}
	for i := 0; i < len(v); i++ {
		if v[i] == 0 {
			return &InvalidKeyError{Field: field, Reason: "contains a NUL byte"}
		}
	}
	return nil
}

// CheckRecord checks every key of a record a store is asked to write,
// and that a record whose kind lives in a parent names one.
func CheckRecord(rec Record) error {
	for _, f := range []struct{ name, v string }{
		{"kind", string(rec.Kind)}, {"id", rec.ID}, {"parent", rec.Parent}, {"etag", rec.ETag}, {"state", rec.State},
	} {
		if err := CheckKey(f.name, f.v); err != nil {
			return err
		}
	}
	if ParentKind(rec.Kind) != "" && rec.Parent == "" {
		return &InvalidKeyError{Field: "parent", Reason: "is empty; a " + string(rec.Kind) + " record lives in a " + string(ParentKind(rec.Kind)) + " record"}
	}
	return nil
}

// CheckList checks the keys a listing selects on.
func CheckList(o ListOptions) error {
	for _, f := range []struct{ name, v string }{
		{"kind", string(o.Kind)}, {"parent", o.Parent}, {"parent", o.ParentPrefix}, {"id", o.After},
	} {
		if err := CheckKey(f.name, f.v); err != nil {
			return err
		}
	}
	for _, st := range o.States {
		if err := CheckKey("state", st); err != nil {
			return err
		}
	}
	return nil
}
