package aks

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/caravan-dev/caravan/cluster"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		headers map[string]string
		want    time.Duration
		ok      bool
	}{
		{nil, 0, false},
		{map[string]string{"retry-after-ms": "250"}, 250 * time.Millisecond, true},
		{map[string]string{"x-ms-retry-after-ms": "0"}, 0, true},
		{map[string]string{"Retry-After": "3"}, 3 * time.Second, true},
		{map[string]string{"Retry-After": "3", "retry-after-ms": "40"}, 40 * time.Millisecond, true},
		{map[string]string{"Retry-After": now.Add(2 * time.Second).Format(http.TimeFormat)}, 2 * time.Second, true},
		{map[string]string{"Retry-After": "soon"}, 0, false},
		{map[string]string{"retry-after-ms": "-5"}, 0, false},
	}
	for _, tt := range tests {
		resp := &http.Response{Header: http.Header{}}
		for k, v := range tt.headers {
			resp.Header.Set(k, v)
		}
		got, ok := retryAfter(resp, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%v) = %v, %v; want %v, %v", tt.headers, got, ok, tt.want, tt.ok)
		}
	}
}

func TestIntervalGrowsToMax(t *testing.T) {
	iv := &interval{next: 100 * time.Millisecond, max: 400 * time.Millisecond, now: time.Now}
	var got []time.Duration
	for range 6 {
		got = append(got, iv.after(nil))
	}
	want := []time.Duration{100, 150, 225, 337, 400, 400}
	for i := range want {
		if d := got[i].Milliseconds(); d != int64(want[i]) {
			t.Fatalf("intervals = %v, want %v ms", got, want)
		}
	}
	hinted := &http.Response{Header: http.Header{"Retry-After-Ms": {"7"}}}
	if d := iv.after(hinted); d != 7*time.Millisecond {
		t.Errorf("with a server hint the wait is %v, want 7ms", d)
	}
}

func TestWholeSecondHintIsACeiling(t *testing.T) {
	iv := &interval{next: 100 * time.Millisecond, max: 15 * time.Second, now: time.Now}
	second := &http.Response{Header: http.Header{"Retry-After": {"1"}}}
	var got []int64
	for range 8 {
		got = append(got, iv.after(second).Milliseconds())
	}
	want := []int64{100, 150, 225, 337, 506, 759, 1000, 1000}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("waits with Retry-After: 1 = %v ms, want %v", got, want)
		}
	}
	exact := &http.Response{Header: http.Header{"Retry-After": {"1"}, "Retry-After-Ms": {"900"}}}
	if d := iv.after(exact); d != 900*time.Millisecond {
		t.Errorf("with retry-after-ms 900 the wait is %v, want exactly 900ms", d)
	}
}

func TestLooksAtAnOperation(t *testing.T) {
	waits := func(initial *http.Response, n int) []int64 {
		iv := &interval{next: 100 * time.Millisecond, max: 2 * time.Second, now: time.Now}
		first, next := iv.looks(initial)
		out := []int64{first.Milliseconds()}
		for range n {
			out = append(out, next().Milliseconds())
		}
		return out
	}
	answer := func(header http.Header, body string) *http.Response {
		return &http.Response{StatusCode: http.StatusOK, Header: header, Body: io.NopCloser(strings.NewReader(body))}
	}
	upgrading := `{"properties":{"provisioningState":"Upgrading"}}`
	for _, tc := range []struct {
		name    string
		initial *http.Response
		want    []int64
	}{
		// ARM's whole-second hint caps every look, the later ones too:
		// the reads of the cluster carry no hint of their own.
		{"WholeSeconds", answer(http.Header{"Retry-After": {"1"}}, upgrading), []int64{100, 150, 225, 337, 506, 759, 1000, 1000}},
		// An exact hint says when the operation ends: the first look is
		// then, and the interval takes over after it, up to its maximum.
		{"Exact", answer(http.Header{"Retry-After": {"1"}, "Retry-After-Ms": {"40"}}, upgrading), []int64{40, 100, 150, 225, 337, 506, 759, 1139}},
		{"NoHint", answer(http.Header{}, upgrading), []int64{100, 150, 225, 337, 506, 759, 1139, 1708}},
		// An operation that ended in its answer is read at once.
		{"EndedInTheAnswer", answer(http.Header{}, `{"properties":{"provisioningState":"Succeeded"}}`), []int64{0, 150, 225, 337, 506, 759, 1139, 1708}},
		{"NoAnswer", nil, []int64{100, 150, 225, 337, 506, 759, 1139, 1708}},
	} {
		if got := waits(tc.initial, 7); !slices.Equal(got, tc.want) {
			t.Errorf("%s: waits %v ms, want %v", tc.name, got, tc.want)
		}
	}
}

func TestAsError(t *testing.T) {
	resp := func(status int, body string) error {
		r := &http.Response{
			StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
			Body:    io.NopCloser(strings.NewReader(body)),
			Request: &http.Request{Method: http.MethodPut, URL: mustURL("https://example.test/x")},
		}
		return runtime.NewResponseError(r)
	}
	tests := []struct {
		err    error
		reason cluster.Reason
		code   string
	}{
		{resp(404, `{"error":{"code":"ResourceNotFound","message":"gone"}}`), cluster.NotFound, "ResourceNotFound"},
		{resp(409, `{"error":{"code":"OperationNotAllowed","message":"busy"}}`), cluster.Busy, "OperationNotAllowed"},
		{resp(400, `{"error":{"code":"NotAllowedDowngrade","message":"no"}}`), cluster.Rejected, "NotAllowedDowngrade"},
		{resp(400, `{"error":{"code":"AgentPoolK8sVersionNotSupported","message":"not here"}}`), cluster.Unavailable, "AgentPoolK8sVersionNotSupported"},
		{resp(429, `{"error":{"code":"TooManyRequests","message":"slow"}}`), cluster.Transient, "TooManyRequests"},
		{resp(503, ``), cluster.Transient, "Service Unavailable"},
		{resp(403, `{"code":"AuthorizationFailed","message":"no role"}`), cluster.Rejected, "AuthorizationFailed"},
		{io.ErrUnexpectedEOF, cluster.Transient, ""},
	}
	for _, tt := range tests {
		err := asError(tt.err, "error doing it")
		if cluster.ReasonOf(err) != tt.reason || cluster.CodeOf(err) != tt.code {
			t.Errorf("asError(%v) = %s %q (%v), want %s %q", tt.err, cluster.ReasonOf(err), cluster.CodeOf(err), err, tt.reason, tt.code)
		}
	}
	failed := operationFailed(resp(200, `{"status":"Failed","error":{"code":"UpgradeFailed","message":"node drain timed out"}}`), "the upgrade failed")
	if cluster.ReasonOf(failed) != cluster.Failed || cluster.CodeOf(failed) != "UpgradeFailed" || !strings.Contains(failed.Error(), "node drain timed out") {
		t.Errorf("operationFailed = %v, want Failed UpgradeFailed with the cloud's message", failed)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
