package api

import (
	"fmt"
	"net/http"
	"strings"
)

// PathError is a request path that is not in canonical form. Such a path
// is answered 400, never cleaned or redirected: a cleaned path could name
// another resource than the one the caller wrote (".../members/.." is the
// fleet), and a redirect could carry a write and its token there.
type PathError struct {
	Path   string
	Reason string
}

func (e *PathError) Error() string {
	return fmt.Sprintf("the path %q is not canonical: %s; send the resource's path exactly, as in its id", e.Path, e.Reason)
}

// CheckPath accepts only canonical request paths: starting with a slash,
// with no empty segment (no trailing or doubled slash), no "." or ".."
// segment, no percent-encoded slash or backslash, and no control
// character. Letter case is not part of it: ARM's fixed segments match in
// any case, and names are compared in lower case.
func CheckPath(r *http.Request) error {
	path := r.URL.Path
	bad := func(reason string) error { return &PathError{Path: displayPath(r), Reason: reason} }
	if !strings.HasPrefix(path, "/") {
		return bad("it does not start with /")
	}
	raw := strings.ToLower(r.URL.EscapedPath())
	if strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") {
		return bad("it holds a percent-encoded slash or backslash")
	}
	for _, c := range path {
		if c < 0x20 || c == 0x7f {
			return bad("it holds a control character")
		}
	}
	if path == "/" {
		return nil
	}
	for _, seg := range strings.Split(path[1:], "/") {
		switch seg {
		case "":
			return bad("it has an empty segment (a trailing or doubled slash)")
		case ".", "..":
			return bad("it has a " + seg + " segment")
		}
	}
	return nil
}

// displayPath is the path as the request spelled it, for messages.
func displayPath(r *http.Request) string {
	if p := r.URL.EscapedPath(); p != "" {
		return p
	}
	return r.URL.Path
}

// WritePathError answers a non-canonical path: 400 in ARM's error shape,
// naming the path.
func WritePathError(w http.ResponseWriter, err error) {
	WriteError(w, http.StatusBadRequest, "InvalidRequestPath", err.Error())
}
