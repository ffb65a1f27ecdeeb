package simcloud

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// ARM error codes the simulator answers with.
const (
	CodeMissingAPIVersion       = "MissingApiVersionParameter"
	CodeInvalidParameter        = "InvalidParameter"
	CodeInvalidRequestContent   = "InvalidRequestContent"
	CodeResourceNotFound        = "ResourceNotFound"
	CodeNotFound                = "NotFound"
	CodeOperationNotAllowed     = "OperationNotAllowed"
	CodeVersionNotSupported     = "AgentPoolK8sVersionNotSupported"
	CodeNodeImageNotSupported   = "NodeImageVersionNotSupported"
	CodeLocationNotAvailable    = "LocationNotAvailableForResourceType"
	CodePreconditionFailed      = "PreconditionFailed"
	CodeAuthenticationFailed    = "AuthenticationFailed"
	CodeMethodNotAllowed        = "MethodNotAllowed"
	CodeTooManyRequests         = "TooManyRequests"
	CodeInternalServerError     = "InternalServerError"
	CodeServiceUnavailable      = "ServiceUnavailable"
	CodeSimulatedUpgradeFailure = "SimulatedUpgradeFailure"
)

// armError is an error in ARM's shape with the HTTP status it goes out
// with.
type armError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target,omitempty"`
}

func (e *armError) Error() string { return e.Code + ": " + e.Message }

func newARMError(status int, code, format string, args ...any) *armError {
	return &armError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func badRequest(code, format string, args ...any) *armError {
	return newARMError(http.StatusBadRequest, code, format, args...)
}

func invalidParameter(target, format string, args ...any) *armError {
	e := badRequest(CodeInvalidParameter, format, args...)
	e.Target = target
	return e
}

func notFound(format string, args ...any) *armError {
	return newARMError(http.StatusNotFound, CodeResourceNotFound, format, args...)
}

// writeARMError answers with {"error":{"code":...,"message":...}}.
func writeARMError(w http.ResponseWriter, e *armError) {
	writeJSON(w, e.Status, struct {
		Error *armError `json:"error"`
	}{e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"InternalServerError","message":"error encoding the response"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// FieldError says what is wrong with one field of a seed file, a cluster
// spec or a catalog. Field is a path such as "clusters[3].pools[0].osType".
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// prefixed returns a copy whose field path starts with prefix.
func (e *FieldError) prefixed(prefix string) *FieldError {
	f := prefix
	if e.Field != "" {
		if e.Field[0] == '[' {
			f += e.Field
		} else {
			f += "." + e.Field
		}
	}
	return &FieldError{Field: f, Message: e.Message}
}
