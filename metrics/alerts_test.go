package metrics_test

import (
	"os"
	"regexp"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/caravan-dev/caravan/metrics"
)

// The shipped alert rules parse and name only metrics caravan exports.
func TestAlertRulesUseMetricsThatExist(t *testing.T) {
	data, err := os.ReadFile("../deploy/prometheus/caravan-alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Rules []struct {
				Alert string `json:"alert"`
				Expr  string `json:"expr"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, name := range metrics.New().Names() {
		known[name] = true
	}
	alerts := map[string]bool{}
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			alerts[r.Alert] = true
			names := regexp.MustCompile(`caravan_[a-z_]+`).FindAllString(r.Expr, -1)
			if len(names) == 0 {
				t.Errorf("alert %s names no caravan metric: %s", r.Alert, r.Expr)
			}
			for _, n := range names {
				if !known[n] {
					t.Errorf("alert %s uses %s, which caravan does not export", r.Alert, n)
				}
			}
		}
	}
	for _, want := range []string{"CaravanUpdateRunFailed", "CaravanMemberUpgradeStuck", "CaravanUpdateRunPendingTooLong"} {
		if !alerts[want] {
			t.Errorf("no alert %s", want)
		}
	}
}
