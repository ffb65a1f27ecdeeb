// Package webhook delivers update-run events to HTTP endpoints. The
// subscriptions come from a file the server reads at start (see
// LoadFile): each names a URL, a secret, the fleets and the event types it
// wants. Deliveries are rows of the store's outbox, written with the
// events they carry (see package events), so a restart loses none; the
// Dispatcher sends each, signed with HMAC-SHA256 (see Sign and Verify),
// and retries failures with exponential backoff: every event reaches every
// subscription that wants it at least once. Receivers deduplicate by the
// event's id.
package webhook
