package cluster

import (
	"errors"
	"fmt"
)

// Reason classifies why an operation did not begin or did not succeed, so
// the engine can react without reading messages.
type Reason string

const (
	// Rejected: the cloud refused the upgrade for good (a downgrade, a
	// skipped minor version, a bad request). The member fails.
	Rejected Reason = "Rejected"
	// Busy: another operation runs on the cluster. The member waits
	// (Pending) and is tried again.
	Busy Reason = "Busy"
	// Unavailable: the target is not offered in the cluster's region yet.
	// The member waits (Pending) and is tried again.
	Unavailable Reason = "Unavailable"
	// Transient: throttling or a server fault outlasted the provider's
	// retries. The member waits (Pending) and is tried again.
	Transient Reason = "Transient"
	// Failed: the operation ran and failed. The member fails.
	Failed Reason = "Failed"
	// NotFound: the cluster does not exist.
	NotFound Reason = "NotFound"
)

// Error is a provider's error with its reason and the cloud's own code and
// message (for AKS, the ARM error code such as OperationNotAllowed).
type Error struct {
	Reason  Reason
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	switch {
	case e.Code != "" && e.Message != "":
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	case e.Message != "":
		return e.Message
	case e.Err != nil:
		return e.Err.Error()
	}
	return string(e.Reason)
}

func (e *Error) Unwrap() error { return e.Err }

// ReasonOf returns the reason carried by err, or Transient for errors that
// carry none (a network failure, a context deadline).
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return Transient
}

// CodeOf returns the cloud's error code carried by err, or "" if none.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Errorf makes an Error with a reason, code and formatted message.
func Errorf(reason Reason, code, format string, args ...any) *Error {
	return &Error{Reason: reason, Code: code, Message: fmt.Sprintf(format, args...)}
}
