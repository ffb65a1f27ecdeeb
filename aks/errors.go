package aks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/caravan-dev/caravan/cluster"
)

// unavailableCodes are the ARM error codes with which AKS refuses a target
// that the region does not offer (yet): the member waits rather than fails.
var unavailableCodes = map[string]bool{
	"K8sVersionNotSupported":          true,
	"AgentPoolK8sVersionNotSupported": true,
	"VersionNotSupported":             true,
	"KubernetesVersionNotSupported":   true,
	"NodeImageVersionNotSupported":    true,
	"NodeImageVersionNotAvailable":    true,
	"InvalidNodeImageVersion":         true,
	"NotAvailableNodeImageVersion":    true,
}

// asError turns an error from the SDK into a cluster.Error: by HTTP status
// and ARM error code, never by message text. what names the call for
// errors that carry no cloud message ("error getting cluster X").
func asError(err error, what string) error {
	if err == nil {
		return nil
	}
	var ce *cluster.Error
	if errors.As(err, &ce) {
		return err
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		code, msg := cloudError(re)
		e := &cluster.Error{Code: code, Message: fmt.Sprintf("%s: %s", what, msg), Err: err}
		switch s := re.StatusCode; {
		case s == http.StatusNotFound:
			e.Reason = cluster.NotFound
		case s == http.StatusConflict:
			e.Reason = cluster.Busy
		case s == http.StatusTooManyRequests || s == http.StatusRequestTimeout || s >= 500:
			e.Reason = cluster.Transient
		case unavailableCodes[code]:
			e.Reason = cluster.Unavailable
		default:
			e.Reason = cluster.Rejected
		}
		return e
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &cluster.Error{Reason: cluster.Transient, Code: "Canceled", Message: fmt.Sprintf("%s: %v", what, err), Err: err}
	}
	return &cluster.Error{Reason: cluster.Transient, Message: fmt.Sprintf("%s: %v", what, err), Err: err}
}

// operationFailed reports an operation that ran and ended Failed or
// Canceled, with the cloud's code and message.
func operationFailed(err error, what string) error {
	code, msg := "OperationFailed", err.Error()
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		code, msg = cloudError(re)
	}
	return &cluster.Error{Reason: cluster.Failed, Code: code, Message: fmt.Sprintf("%s: %s", what, msg), Err: err}
}

// cloudError returns the ARM error code and message of a response, with
// the HTTP status standing in for what the response does not say.
func cloudError(re *azcore.ResponseError) (code, message string) {
	code, message = armError(re)
	if code == "" {
		code = http.StatusText(re.StatusCode)
	}
	if message == "" {
		message = fmt.Sprintf("the cloud answered %d %s", re.StatusCode, http.StatusText(re.StatusCode))
	}
	return code, message
}

// armError returns the ARM error code and message a response carries, or
// empty strings: the body is {"error":{"code","message"}}, an operation
// status {"status":"Failed","error":{...}}, or a bare {"code","message"}.
func armError(re *azcore.ResponseError) (code, message string) {
	code = re.ErrorCode
	if re.RawResponse == nil {
		return code, ""
	}
	body, err := runtime.Payload(re.RawResponse)
	if err != nil || len(body) == 0 {
		return code, ""
	}
	var doc struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Error   *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return code, ""
	}
	if doc.Error != nil {
		doc.Code, doc.Message = doc.Error.Code, doc.Error.Message
	}
	if code == "" {
		code = doc.Code
	}
	return code, doc.Message
}

// preconditionFailed reports whether the cloud refused a conditional
// request because the resource changed since it was read (412).
func preconditionFailed(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusPreconditionFailed
}

// reason returns the reason of an error made by asError.
func reason(err error) cluster.Reason { return cluster.ReasonOf(err) }
