package webhook

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/caravan-dev/caravan/store"
)

// DeliveryStatus is how a delivery is shown.
type DeliveryStatus struct {
	ID           int64      `json:"id"`
	Subscription string     `json:"subscription"`
	EventID      string     `json:"eventId"`
	State        string     `json:"state"`
	Attempts     int        `json:"attempts"`
	NextAttempt  *time.Time `json:"nextAttempt,omitempty"`
	LastStatus   int        `json:"lastStatus,omitempty"`
	LastError    string     `json:"lastError,omitempty"`
	DeliveredAt  *time.Time `json:"deliveredAt,omitempty"`
}

// DeliveryPage is a page of deliveries, in ARM's list shape.
type DeliveryPage struct {
	Value    []DeliveryStatus `json:"value"`
	NextLink string           `json:"nextLink,omitempty"`
}

// DeliveriesPath is where the server lists deliveries.
const DeliveriesPath = "/caravan/webhooks/deliveries"

// DeliveriesHandler lists the outbox's deliveries, oldest first:
// ?subscription=NAME&state=Pending|Delivered|Failed&$top=N&$skipToken=ID.
func DeliveriesHandler(log store.EventLog) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f := store.DeliveryFilter{Subscription: q.Get("subscription"), State: q.Get("state"), Limit: 100}
		switch f.State {
		case "", store.DeliveryPending, store.DeliveryDelivered, store.DeliveryFailed:
		default:
			writeError(w, http.StatusBadRequest, "InvalidParameter", "state "+strconv.Quote(f.State)+" is not a delivery state: use Pending, Delivered or Failed")
			return
		}
		if top := q.Get("$top"); top != "" {
			n, err := strconv.Atoi(top)
			if err != nil || n < 1 {
				writeError(w, http.StatusBadRequest, "InvalidParameter", "$top "+strconv.Quote(top)+" is not a page size: use a whole number of at least 1")
				return
			}
			f.Limit = min(n, 1000)
		}
		if tok := q.Get("$skipToken"); tok != "" {
			n, err := strconv.ParseInt(tok, 10, 64)
			if err != nil || n < 0 {
				writeError(w, http.StatusBadRequest, "InvalidParameter", "$skipToken "+strconv.Quote(tok)+" is not one caravan issued; list again without it")
				return
			}
			f.After = n
		}
		list, err := log.ListDeliveries(r.Context(), f)
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "cannot read the webhook outbox: "+err.Error())
			return
		}
		page := DeliveryPage{Value: make([]DeliveryStatus, 0, len(list))}
		for _, d := range list {
			s := DeliveryStatus{ID: d.ID, Subscription: d.Subscription, EventID: d.EventID, State: d.State, Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError}
			if d.State == store.DeliveryPending {
				s.NextAttempt = &d.NextAttempt
			}
			if !d.DeliveredAt.IsZero() {
				s.DeliveredAt = &d.DeliveredAt
			}
			page.Value = append(page.Value, s)
		}
		if len(list) == f.Limit {
			next := url.Values{}
			for k, v := range q {
				next[k] = v
			}
			next.Set("$skipToken", strconv.FormatInt(list[len(list)-1].ID, 10))
			scheme := "http"
			if r.TLS != nil {
				scheme = "https"
			}
			page.NextLink = scheme + "://" + r.Host + r.URL.Path + "?" + next.Encode()
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(page)
	})
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
