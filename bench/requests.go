package bench

import (
	"bufio"
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
)

// cloudRequests counts the HTTP tries the server's cloud provider has made
// so far, by operation ("PUT managedClusters", "GET operations"), as its
// caravan_provider_requests_total metric says.
type cloudRequests map[string]float64

// countCloudRequests reads the provider's requests from the metrics
// handler h, as a Prometheus scrape would.
func countCloudRequests(h http.Handler) cloudRequests {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return parseCloudRequests(rec.Body.Bytes())
}

// parseCloudRequests reads caravan_provider_requests_total from metrics
// in Prometheus' text format.
func parseCloudRequests(text []byte) cloudRequests {
	out := cloudRequests{}
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "caravan_provider_requests_total{")
		if !ok {
			continue
		}
		labels, value, ok := strings.Cut(line, "} ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		_, op, ok := strings.Cut(labels, `operation="`)
		if !ok {
			continue
		}
		op, _, _ = strings.Cut(op, `"`)
		out[op] += v
	}
	return out
}

// since is what was counted after before.
func (c cloudRequests) since(before cloudRequests) cloudRequests {
	out := cloudRequests{}
	for op, n := range c {
		if d := n - before[op]; d > 0 {
			out[op] = d
		}
	}
	return out
}

// total is every request; polls those that follow a long-running
// operation (its status, or its result).
func (c cloudRequests) total() (all, polls float64) {
	for op, n := range c {
		all += n
		if strings.HasPrefix(op, "GET operation") {
			polls += n
		}
	}
	return all, polls
}
