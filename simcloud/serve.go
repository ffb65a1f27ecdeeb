package simcloud

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// request is one ARM request being served.
type request struct {
	r          *http.Request
	rt         route
	apiVersion string
	base       string // scheme and host the caller used
	now        time.Time
	// wholeSeconds: Retry-After only, in whole seconds (Options.RetryAfterSeconds).
	wholeSeconds bool
}

// reply is a handler's answer, built under a cluster's lock and written
// after it is released.
type reply struct {
	status int
	header map[string]string
	body   any
}

type handler func(*request) (*reply, *armError)

// Owns reports whether the simulator serves the request's path: managed
// clusters and what lies under them, Kubernetes versions per region,
// status of operations it started, and /simulator/. It never claims
// fleets paths, so one endpoint can host the simulator beside a Fleet API.
func (cl *Cloud) Owns(r *http.Request) bool {
	rt := parseRoute(r.URL.Path)
	switch rt.kind {
	case routeNone:
		return false
	case routeOperationStatus, routeOperationResult:
		return cl.lookupOperation(strings.ToLower(rt.opID)) != nil
	}
	return true
}

// ServeHTTP serves the ARM API and the /simulator/ API.
func (cl *Cloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if cl.opts.Authorize != nil && !cl.opts.Authorize(r) {
		writeARMError(w, newARMError(http.StatusUnauthorized, CodeAuthenticationFailed,
			"Authentication failed: the request has no valid Authorization header. Send a bearer token the simulator accepts."))
		return
	}
	rt := parseRoute(r.URL.Path)
	switch rt.kind {
	case routeSimulator:
		cl.serveSimulator(w, r, rt)
		return
	case routeNone:
		writeARMError(w, newARMError(http.StatusNotFound, CodeNotFound,
			"The path %q is not served by the simulated cloud: it serves Microsoft.ContainerService managed clusters, agent pools, upgrade profiles, maintenance configurations, Kubernetes versions and operations, and /simulator/.", r.URL.Path))
		return
	}
	if cl.faults != nil && cl.faults.inject(w, r, cl.faultDelay(), cl.opts.RetryAfterSeconds) {
		return
	}
	apiVersion := r.URL.Query().Get("api-version")
	if apiVersion == "" {
		writeARMError(w, badRequest(CodeMissingAPIVersion,
			"The api-version query parameter (?api-version=) is required for all requests; use api-version=2025-02-01."))
		return
	}
	q := &request{r: r, rt: rt, apiVersion: apiVersion, base: baseURL(r), now: cl.now(), wholeSeconds: cl.opts.RetryAfterSeconds}
	h := cl.handlerFor(rt.kind, r.Method)
	if h == nil {
		writeARMError(w, newARMError(http.StatusMethodNotAllowed, CodeMethodNotAllowed,
			"The method %s is not supported on %s.", r.Method, r.URL.Path))
		return
	}
	rep, aerr := h(q)
	if aerr != nil {
		writeARMError(w, aerr)
		return
	}
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	if rep.body == nil {
		w.WriteHeader(rep.status)
		return
	}
	writeJSON(w, rep.status, rep.body)
}

// handlerFor picks the handler for a route and method, or nil.
func (cl *Cloud) handlerFor(kind routeKind, method string) handler {
	type key struct {
		kind   routeKind
		method string
	}
	switch (key{kind, method}) {
	case key{routeClustersInSubscription, http.MethodGet}, key{routeClustersInGroup, http.MethodGet}:
		return cl.listClusters
	case key{routeCluster, http.MethodGet}:
		return cl.getCluster
	case key{routeCluster, http.MethodPut}:
		return cl.putCluster
	case key{routeCluster, http.MethodPatch}:
		return cl.patchClusterTags
	case key{routeCluster, http.MethodDelete}:
		return cl.deleteCluster
	case key{routeClusterUpgradeProfile, http.MethodGet}:
		return cl.getClusterUpgradeProfile
	case key{routeMaintenanceConfigs, http.MethodGet}:
		return cl.listMaintenance
	case key{routeMaintenanceConfig, http.MethodGet}:
		return cl.getMaintenance
	case key{routeMaintenanceConfig, http.MethodPut}:
		return cl.putMaintenance
	case key{routeMaintenanceConfig, http.MethodDelete}:
		return cl.deleteMaintenance
	case key{routePools, http.MethodGet}:
		return cl.listPools
	case key{routePool, http.MethodGet}:
		return cl.getPool
	case key{routePool, http.MethodPut}:
		return cl.putPool
	case key{routePool, http.MethodDelete}:
		return cl.deletePool
	case key{routePoolUpgradeNodeImage, http.MethodPost}:
		return cl.upgradeNodeImage
	case key{routePoolUpgradeProfile, http.MethodGet}:
		return cl.getPoolUpgradeProfile
	case key{routeKubernetesVersions, http.MethodGet}:
		return cl.listKubernetesVersions
	case key{routeOperationStatus, http.MethodGet}:
		return cl.getOperationStatus
	case key{routeOperationResult, http.MethodGet}:
		return cl.getOperationResult
	}
	return nil
}

// baseURL is the scheme and host the caller reached the simulator at,
// as a reverse proxy in front of it reports them when there is one.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if h := r.Header.Get("X-Forwarded-Host"); h != "" && !strings.ContainsAny(h, "/ ,") {
		host = h
	}
	return scheme + "://" + host
}

// decodeBody reads a JSON request body into v.
func decodeBody(r *http.Request, v any) *armError {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return badRequest(CodeInvalidRequestContent, "The request body could not be read: %v.", err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return badRequest(CodeInvalidRequestContent, "The request body is empty; send the resource as JSON.")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest(CodeInvalidRequestContent, "The request body is not valid JSON for this resource: %v.", err)
	}
	return nil
}

// operationURL is the operation status resource of op.
func (q *request) operationURL(op *operation, kind string) string {
	return q.base + "/subscriptions/" + url.PathEscape(op.sub) + "/providers/" + providerNamespace +
		"/locations/" + op.region + "/" + kind + "/" + op.id + "?api-version=" + url.QueryEscape(q.apiVersion)
}

// lroHeaders are the headers of a response that starts (or reports on)
// an operation: where to poll, and when its end is due.
func (q *request) lroHeaders(op *operation, withLocation bool) map[string]string {
	h := map[string]string{"Azure-AsyncOperation": q.operationURL(op, "operations")}
	if withLocation {
		h["Location"] = q.operationURL(op, "operationresults")
	}
	q.addPollHint(h, op)
	return h
}

// addPollHint says when a running operation's end is due. An operation
// due now gets retry-after-ms 0 (look again at once) with the exact hint,
// and no hint in whole seconds: ARM never says zero.
func (q *request) addPollHint(h map[string]string, op *operation) {
	if op.status != statusInProgress {
		return
	}
	if d := op.remaining(q.now); d > 0 || q.wholeSeconds {
		addRetryAfter(h, d, q.wholeSeconds)
		return
	}
	h["retry-after-ms"] = "0"
}

// addRetryAfter tells pollers to come back when d has passed: exactly, in
// retry-after-ms (which azcore prefers), and rounded up to whole seconds
// in Retry-After. With wholeSeconds, only Retry-After is given, as ARM
// gives it. Nothing is added when d is zero.
func addRetryAfter(h map[string]string, d time.Duration, wholeSeconds bool) {
	if d <= 0 {
		return
	}
	secs := int64(math.Ceil(d.Seconds()))
	h["Retry-After"] = strconv.FormatInt(max(secs, 1), 10)
	if !wholeSeconds {
		ms := int64(math.Ceil(float64(d) / float64(time.Millisecond)))
		h["retry-after-ms"] = strconv.FormatInt(max(ms, 1), 10)
	}
}
