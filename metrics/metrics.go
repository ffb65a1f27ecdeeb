package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/caravan-dev/caravan/fleet"
)

// runStates are the states a stored run can be in; the gauge reports each,
// zero or not, so that alert expressions always find a series.
var runStates = []fleet.State{fleet.NotStarted, fleet.Running, fleet.Pending, fleet.Stopping, fleet.Stopped, fleet.Failed, fleet.Completed}

// Metrics holds one server's metrics in a registry of its own.
type Metrics struct {
	reg        *prometheus.Registry
	runs       *prometheus.GaugeVec
	upgrades   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	transition prometheus.Histogram
	requests   *prometheus.CounterVec
	failed     prometheus.Counter
	running    *prometheus.GaugeVec
	pending    *prometheus.GaugeVec
}

// New returns the metrics, registered with Go's and the process's own.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		runs: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "caravan_update_runs",
			Help: "Update runs kept by the server, by state.",
		}, []string{"state"}),
		upgrades: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "caravan_member_upgrades_total",
			Help: "Member upgrades that ended, by upgrade type (Full, ControlPlaneOnly, NodeImageOnly) and result (completed, failed).",
		}, []string{"upgrade_type", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "caravan_member_upgrade_duration_seconds",
			Help:    "Time from a member's start to its end, by upgrade type and result.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200},
		}, []string{"upgrade_type", "result"}),
		transition: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "caravan_engine_transition_seconds",
			Help:    "Time from a member's end to the start of the next member of its group.",
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "caravan_provider_requests_total",
			Help: "HTTP tries the cloud provider made, by provider, operation and status code (\"error\" when no response came).",
		}, []string{"provider", "operation", "code"}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "caravan_update_runs_failed_total",
			Help: "Update runs that went Failed.",
		}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "caravan_member_upgrade_started_timestamp_seconds",
			Help: "When each member that is upgrading now started, in Unix seconds; the series goes when the member ends.",
		}, []string{"fleet", "run", "member"}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "caravan_update_run_pending_timestamp_seconds",
			Help: "When each Pending update run went Pending, in Unix seconds; the series goes when the run moves on.",
		}, []string{"fleet", "run"}),
	}
	m.reg.MustRegister(m.runs, m.upgrades, m.duration, m.transition, m.requests, m.failed, m.running, m.pending,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	for _, s := range runStates {
		m.runs.WithLabelValues(string(s)).Set(0)
	}
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ProviderRequest counts one HTTP try of a cloud provider.
func (m *Metrics) ProviderRequest(provider, operation, code string) {
	m.requests.WithLabelValues(provider, operation, code).Inc()
}

// Names lists caravan's own metric families (Go's and the process's are
// served too).
func (m *Metrics) Names() []string {
	return []string{
		"caravan_update_runs", "caravan_update_runs_failed_total", "caravan_update_run_pending_timestamp_seconds",
		"caravan_member_upgrades_total", "caravan_member_upgrade_duration_seconds", "caravan_member_upgrade_started_timestamp_seconds",
		"caravan_engine_transition_seconds", "caravan_provider_requests_total",
	}
}
