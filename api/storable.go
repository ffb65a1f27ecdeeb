package api

import (
	"strconv"
	"unicode/utf8"

	"github.com/caravan-dev/caravan/fleet"
)

// storable refuses a path whose names are not UTF-8: ids are compared and
// stored in lower case, which would turn each invalid byte into U+FFFD
// and so name another resource than the one asked for. (NUL bytes and
// overlong names reach the store, which refuses them alike in every
// implementation: see store.CheckKey.)
func storable(path string) error {
	if !utf8.ValidString(path) {
		return &fleet.Error{Kind: fleet.KindInvalid, Code: "InvalidResourceId", Message: "the path " + quotePath(path) + " is not valid UTF-8; resource names are UTF-8 text"}
	}
	return nil
}

// quotePath quotes a path for a message, escaping bytes that are not
// printable UTF-8.
func quotePath(path string) string { return strconv.QuoteToGraphic(path) }
