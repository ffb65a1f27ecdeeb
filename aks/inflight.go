package aks

import (
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// inFlightPolicy holds each try until fewer than cap(slots) requests are
// in flight (Config.MaxInFlight). It sits in the SDK's pipeline after the
// retry policy, so a request waiting out a Retry-After holds no slot.
type inFlightPolicy struct{ slots chan struct{} }

func (l inFlightPolicy) Do(req *policy.Request) (*http.Response, error) {
	ctx := req.Raw().Context()
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-l.slots }()
	return req.Next()
}
