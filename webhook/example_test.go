package webhook_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/caravan-dev/caravan/webhook"
)

// A receiver checks each delivery's Caravan-Signature header before it
// trusts the event: the HMAC-SHA256, keyed with the subscription's secret,
// of the header's timestamp, a dot and the body, made at most five
// minutes ago.
func ExampleVerify() {
	const secret = "a-secret-of-at-least-16-characters"
	receiver := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		// Deliveries come at least once: deduplicate by the event's id.
		w.WriteHeader(http.StatusNoContent)
	})

	body := []byte(`{"specversion":"1.0","id":"e1","type":"dev.caravan.updaterun.completed"}`)
	send := func(signature string) int {
		req := httptest.NewRequest("POST", "/hook", strings.NewReader(string(body)))
		req.Header.Set(webhook.SignatureHeader, signature)
		w := httptest.NewRecorder()
		receiver.ServeHTTP(w, req)
		return w.Code
	}
	fmt.Println(send(webhook.Sign(secret, time.Now(), body)))
	fmt.Println(send(webhook.Sign("another-secret-entirely", time.Now(), body)))
	fmt.Println(send(webhook.Sign(secret, time.Now().Add(-time.Hour), body)))
	// Output:
	// 204
	// 401
	// 401
}
