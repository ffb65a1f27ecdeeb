package client

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an error answer of the server: its HTTP status and the ARM
// error body, if it sent one.
type Error struct {
	// StatusCode is the HTTP status, such as 404.
	StatusCode int
	// Code is the ARM error code, such as ResourceNotFound; empty when
	// the body was not an ARM error.
	Code string
	// Message is the server's message, or the start of a body that was
	// not an ARM error.
	Message string
	// Target is the JSON path of the offending input, when the server
	// named one.
	Target string
	// Method and URL are the request that failed.
	Method string
	URL    string
}

func (e *Error) Error() string {
	switch {
	case e.Code != "" && e.Message != "":
		return fmt.Sprintf("%s (%d %s): %s", e.Code, e.StatusCode, http.StatusText(e.StatusCode), e.Message)
	case e.Message != "":
		return fmt.Sprintf("%d %s: %s", e.StatusCode, http.StatusText(e.StatusCode), e.Message)
	}
	return fmt.Sprintf("%d %s from %s %s", e.StatusCode, http.StatusText(e.StatusCode), e.Method, e.URL)
}

// UnreachableError is a request that got no HTTP answer: the server is
// not running, the address is wrong, or the network failed.
type UnreachableError struct {
	// URL is the server's base URL.
	URL string
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach caravan at %s: %v", e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// StatusOf returns the HTTP status of the *Error in err's chain, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// IsNotFound reports whether err is a 404 answer.
func IsNotFound(err error) bool { return StatusOf(err) == http.StatusNotFound }
