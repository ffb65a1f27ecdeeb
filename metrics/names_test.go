package metrics

import (
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Names lists exactly the families registered.
func TestNamesAreTheRegisteredFamilies(t *testing.T) {
	m := New()
	ch := make(chan *prometheus.Desc, 100)
	for _, c := range []prometheus.Collector{m.runs, m.upgrades, m.duration, m.transition, m.requests, m.failed, m.running, m.pending} {
		c.Describe(ch)
	}
	close(ch)
	var got []string
	for d := range ch {
		s := d.String()
		i := strings.Index(s, `fqName: "`) + len(`fqName: "`)
		got = append(got, s[i:i+strings.IndexByte(s[i:], '"')])
	}
	want := m.Names()
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("registered %v\nNames %v", got, want)
	}
}
