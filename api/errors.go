package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/store"
)

// armError is ARM's error body.
type armError struct {
	Error fleet.ErrorDetail `json:"error"`
}

// WriteError writes an ARM error body with the given status.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("x-ms-error-code", code)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(armError{Error: fleet.ErrorDetail{Code: code, Message: message}})
}

// writeErr maps an error to its status: a fleet.Error by its kind, a
// store's not-found or precondition error, and anything else as a 503
// when the store or engine is unavailable. Handlers never answer 500: an
// unexpected error is logged and reported as 503, saying to try again. A
// stored record that does not decode is a 503 StoredResourceCorrupt
// naming the record and the store.
func (a *API) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var fe *fleet.Error
	var ce *store.CorruptError
	switch {
	case errors.As(store.Blame(err, a.cfg.Store), &ce):
		a.cfg.Damage.Report(ce)
		a.log.Error("stored resource does not decode", "method", r.Method, "path", r.URL.Path, "error", ce)
		WriteError(w, http.StatusServiceUnavailable, "StoredResourceCorrupt", "caravan cannot serve "+r.URL.Path+": "+ce.Error())
	case errors.Is(err, store.ErrParentNotFound):
		WriteError(w, http.StatusNotFound, "ParentResourceNotFound", "the fleet of "+r.URL.Path+" does not exist (it was deleted, or never created); create the fleet first")
	case errors.Is(err, store.ErrInvalidKey):
		WriteError(w, http.StatusBadRequest, "InvalidResourceId", "the resource id in "+quotePath(r.URL.Path)+" cannot be stored: "+err.Error()+"; use names of printable UTF-8 characters, as ARM allows")
	case errors.As(err, &fe):
		status := map[fleet.ErrorKind]int{
			fleet.KindInvalid:            http.StatusBadRequest,
			fleet.KindNotFound:           http.StatusNotFound,
			fleet.KindConflict:           http.StatusConflict,
			fleet.KindPreconditionFailed: http.StatusPreconditionFailed,
		}[fe.Kind]
		if status == 0 {
			status = http.StatusBadRequest
		}
		body := armError{Error: fleet.ErrorDetail{Code: fe.Code, Message: fe.Message, Target: fe.Field}}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("x-ms-error-code", fe.Code)
		w.WriteHeader(status)
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.Encode(body)
	case errors.Is(err, store.ErrPreconditionFailed):
		WriteError(w, http.StatusPreconditionFailed, "PreconditionFailed", "the resource has changed since you read it (its ETag no longer matches); read it again and retry")
	case errors.Is(err, store.ErrNotFound):
		WriteError(w, http.StatusNotFound, "ResourceNotFound", "the resource was not found")
	case errors.As(err, new(retryLater)):
		var rl retryLater
		errors.As(err, &rl)
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(rl.RetryAfter().Seconds())))))
		WriteError(w, http.StatusServiceUnavailable, "ServiceUnavailable", err.Error())
	case errors.As(err, new(*unavailableError)):
		WriteError(w, http.StatusServiceUnavailable, "ServiceUnavailable", err.Error()+"; try again")
	case r.Context().Err() != nil && errors.Is(err, r.Context().Err()):
		WriteError(w, http.StatusServiceUnavailable, "RequestCanceled", "the request was canceled before it finished")
	default:
		a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		WriteError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "caravan could not complete the request: "+err.Error()+"; try again")
	}
}

// retryLater is an error that says when to try again, such as the
// engine's refusal of a command while its store does not answer: a 503
// with Retry-After.
type retryLater interface {
	error
	RetryAfter() time.Duration
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		slog.Debug("error writing response", "error", err)
	}
}
