package bench

import (
	_ "embed"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
)

// PageCommand is the command that regenerates docs/benchmarks.md.
const PageCommand = "caravan bench --scenario all --repeat 3 --markdown docs/benchmarks.md"

// pageTemplate is the page's prose around the figures.
//
//go:embed page.md.tmpl
var pageTemplate string

var pageTmpl = template.Must(template.New("page").Parse(pageTemplate))

// series is the measurements of one scenario at one size.
type series struct {
	Scenario string
	Results  []Result
}

// groupSeries gathers the results of each scenario at each size, in the
// order they were first measured.
func groupSeries(results []Result) []series {
	var out []series
	index := map[string]int{}
	for _, r := range results {
		key := fmt.Sprintf("%s|%s|%d|%d|%d|%g|%g|%t", r.Scenario, r.Store, r.Members, r.Fleets, r.Runs, r.LatencyMS, r.Jitter, r.Together)
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, series{Scenario: r.Scenario})
		}
		out[i].Results = append(out[i].Results, r)
	}
	return out
}

// stats are the least, the median (the lower middle one for an even
// count) and the greatest of a figure's values.
type stats struct{ min, median, max float64 }

// stat summarizes a figure over the series' measurements; false when no
// measurement has it.
func (s series) stat(value func(Result) (float64, bool)) (stats, bool) {
	var vs []float64
	for _, r := range s.Results {
		if v, ok := value(r); ok {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return stats{}, false
	}
	slices.Sort(vs)
	return stats{min: vs[0], median: vs[(len(vs)-1)/2], max: vs[len(vs)-1]}, true
}

// A figure is one row of a scenario's table.
type figure struct {
	name   string
	format string
	value  func(Result) (float64, bool)
}

func always(f func(Result) float64) func(Result) (float64, bool) {
	return func(r Result) (float64, bool) { return f(r), true }
}

func positive(f func(Result) float64) func(Result) (float64, bool) {
	return func(r Result) (float64, bool) { v := f(r); return v, v > 0 }
}

var figures = []figure{
	{"wall p50 (s)", "%.3f", always(func(r Result) float64 { return r.WallP50 })},
	{"wall p90 (s)", "%.3f", always(func(r Result) float64 { return r.WallP90 })},
	{"wall max (s)", "%.3f", always(func(r Result) float64 { return r.WallMax })},
	{"critical path (s)", "%.3f", positive(func(r Result) float64 { return r.CriticalPath })},
	{"wall / critical path, median run", "%.3f", func(r Result) (float64, bool) {
		if r.OverheadRatio == nil {
			return 0, false
		}
		return *r.OverheadRatio, true
	}},
	{"wall / critical path, worst run", "%.3f", func(r Result) (float64, bool) {
		if r.OverheadRatioMax == nil {
			return 0, false
		}
		return *r.OverheadRatioMax, true
	}},
	{"overhead per member transition (ms)", "%.3f", always(func(r Result) float64 { return r.OverheadPerTransitionMS })},
	{"longest start request, to its acceptance (ms)", "%.1f", always(func(r Result) float64 { return r.StartAcceptMaxMS })},
	{"span (s)", "%.3f", always(func(r Result) float64 { return r.Span })},
	{"CPU (s)", "%.2f", always(func(r Result) float64 { return r.CPU })},
	{"CPU per member transition (ms)", "%.3f", always(func(r Result) float64 { return r.CPUPerTransitionMS })},
	{"of which beyond the provider and cloud alone (ms)", "%.3f", func(r Result) (float64, bool) {
		// An upgrade is two transitions; the calibration is per upgrade.
		return r.CPUPerTransitionMS - r.CalibrationProviderUS/2000, r.CalibrationProviderUS > 0
	}},
	{"peak RSS (MiB)", "%.0f", always(func(r Result) float64 { return mib(r.PeakRSSBytes) })},
	{"bytes written per member transition", "%.0f", always(func(r Result) float64 { return r.BytesWrittenPerTransition })},
	{"writes of runs", "%.0f", always(func(r Result) float64 { return float64(r.RunWrites) })},
	{"cloud requests per member upgrade", "%.2f", always(func(r Result) float64 { return r.CloudRequestsPerUpgrade })},
	{"polls per member upgrade", "%.2f", always(func(r Result) float64 { return r.PollsPerUpgrade })},
	{"GET run while it runs, p50 (ms)", "%.1f", positive(func(r Result) float64 { return r.GetRunP50MS })},
	{"GET run while it runs, p99 (ms)", "%.1f", positive(func(r Result) float64 { return r.GetRunP99MS })},
	{"list members while it runs, p50 (ms)", "%.1f", positive(func(r Result) float64 { return r.ListMembersP50MS })},
	{"list members while it runs, p99 (ms)", "%.1f", positive(func(r Result) float64 { return r.ListMembersP99MS })},
	{"calibration: SHA-256 of 4 KiB (ns)", "%.0f", always(func(r Result) float64 { return r.CalibrationSHA4KB })},
	{"calibration: engine alone (µs per transition)", "%.1f", always(func(r Result) float64 { return r.CalibrationEngineUS })},
	{"calibration: provider and cloud alone (µs CPU per upgrade)", "%.0f", positive(func(r Result) float64 { return r.CalibrationProviderUS })},
	{"load average before", "%.2f", func(r Result) (float64, bool) { return r.LoadBefore, r.LoadBefore >= 0 }},
	{"load average after", "%.2f", func(r Result) (float64, bool) { return r.LoadAfter, r.LoadAfter >= 0 }},
	{"setup, not measured (s)", "%.1f", always(func(r Result) float64 { return r.Setup })},
}

// Page is what Run writes with Options.Markdown.
type Page struct {
	// Command is the command that measured the results.
	Command string
	Results []Result
	// LoadBefore and LoadAfter are the load average over a minute when
	// the command began and ended (-1: unknown).
	LoadBefore, LoadAfter float64
}

// The template's view of a page.
type pageView struct {
	Regenerate string
	Command    string
	Machine    [][2]string
	Noise      string
	Targets    []targetView
	Series     []seriesView
	Scenarios  []Scenario
}

type targetView struct {
	Goal, Value, Status string
}

type seriesView struct {
	Title, Exercises string
	Count            int
	Rows             [][4]string
}

// WriteMarkdown writes the page: the machine, the targets met or not,
// and each scenario's figures as the least, median and greatest of its
// measurements, in the prose of page.md.tmpl.
func WriteMarkdown(w io.Writer, p Page) error {
	all := groupSeries(p.Results)
	v := pageView{Regenerate: PageCommand, Command: p.Command, Scenarios: Scenarios()}
	v.Machine, v.Noise = machineRows(p)
	for _, t := range targets {
		o := t.eval(all)
		v.Targets = append(v.Targets, targetView{Goal: t.Goal, Value: o.Value, Status: o.Status()})
	}
	for _, s := range all {
		r := s.Results[0]
		sv := seriesView{Title: seriesTitle(r), Exercises: r.Exercises, Count: len(s.Results)}
		// The polling part of what it exercises was measured: each
		// measurement says it, and they may differ.
		if i := strings.Index(sv.Exercises, "; measured: "); i >= 0 {
			sv.Exercises = sv.Exercises[:i]
		}
		for _, f := range figures {
			st, ok := s.stat(f.value)
			if !ok {
				continue
			}
			sv.Rows = append(sv.Rows, [4]string{f.name, fmt.Sprintf(f.format, st.min), fmt.Sprintf(f.format, st.median), fmt.Sprintf(f.format, st.max)})
		}
		v.Series = append(v.Series, sv)
	}
	return pageTmpl.Execute(w, v)
}

// seriesTitle names a scenario's size as its section heading.
func seriesTitle(r Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "`%s`: ", r.Scenario)
	if r.Fleets > 1 {
		fmt.Fprintf(&b, "%s fleets of %s members", thousands(r.Fleets), thousands(r.Members))
	} else {
		fmt.Fprintf(&b, "a fleet of %s members", thousands(r.Members))
	}
	fmt.Fprintf(&b, ", %s run", thousands(r.Runs))
	if r.Runs != 1 {
		b.WriteString("s")
	}
	fmt.Fprintf(&b, " of %s", thousands(r.MembersPerRun))
	switch {
	case r.Runs > 1 && r.Together:
		b.WriteString(" started together")
	case r.Runs > 1:
		b.WriteString(" one after another")
	}
	if r.LatencyMS > 0 {
		fmt.Fprintf(&b, ", upgrades of %g ms", r.LatencyMS)
		if r.Jitter > 0 {
			fmt.Fprintf(&b, " ± %g%%", r.Jitter*100)
		}
	} else {
		b.WriteString(", instant upgrades")
	}
	fmt.Fprintf(&b, ", %s", r.Store)
	return b.String()
}

// machineRows says where and when the results were measured, and how
// busy the machine was.
func machineRows(p Page) ([][2]string, string) {
	if len(p.Results) == 0 {
		return nil, "Nothing was measured."
	}
	all := series{Results: p.Results}
	first, last := p.Results[0], p.Results[len(p.Results)-1]
	var cores, goVersions []string
	for _, r := range p.Results {
		if c := fmt.Sprint(r.Cores); !slices.Contains(cores, c) {
			cores = append(cores, c)
		}
		if !slices.Contains(goVersions, r.GoVersion) {
			goVersions = append(goVersions, r.GoVersion)
		}
	}
	spread := func(f func(Result) float64, format string) string {
		st, _ := all.stat(always(f))
		return fmt.Sprintf(format+" (least "+format+", greatest "+format+")", st.median, st.min, st.max)
	}
	rows := [][2]string{
		{"cores", strings.Join(cores, ", ")},
		{"Go", strings.Join(goVersions, ", ")},
		{"measured", first.Date + " to " + last.Date},
		{"calibration: SHA-256 of 4 KiB, ns (median)", spread(func(r Result) float64 { return r.CalibrationSHA4KB }, "%.0f")},
		{"calibration: engine alone, µs per transition (median)", spread(func(r Result) float64 { return r.CalibrationEngineUS }, "%.1f")},
		{"calibration: provider and cloud alone, µs of CPU per upgrade (median)", spread(func(r Result) float64 { return r.CalibrationProviderUS }, "%.0f")},
		{"load average (1 min) when the command began and ended", loadText(p.LoadBefore) + " and " + loadText(p.LoadAfter)},
	}
	// The busiest moment any scenario saw, against the cores it had.
	busiest := math.Max(p.LoadBefore, p.LoadAfter)
	for _, r := range p.Results {
		busiest = math.Max(busiest, math.Max(r.LoadBefore, r.LoadAfter))
	}
	rows = append(rows, [2]string{"load average (1 min), highest around a scenario", loadText(busiest)})
	var noise string
	switch {
	case busiest < 0:
		noise = "The system did not tell its load average, so how busy the machine was is unknown."
	case busiest < float64(first.Cores)/2:
		noise = fmt.Sprintf("The load average stayed below %s, half the cores: the machine was quiet, apart from the benchmark itself.", loadText(float64(first.Cores)/2))
	case busiest <= float64(first.Cores):
		noise = fmt.Sprintf("The load average reached %s on %d cores: the benchmark itself keeps them busy, and some other work may have competed with it.", loadText(busiest), first.Cores)
	default:
		noise = fmt.Sprintf("The load average reached %s, more than the %d cores: other work competed with the benchmark, and these figures are slower than a quiet machine's.", loadText(busiest), first.Cores)
	}
	return rows, noise
}

func loadText(l float64) string {
	if l < 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.2f", l)
}

// writeMarkdownFile writes the page to path through a temporary file in
// the same directory, so that a failure leaves the old page whole.
func writeMarkdownFile(path string, p Page) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("error writing the page %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if err := WriteMarkdown(f, p); err != nil {
		f.Close()
		return fmt.Errorf("error writing the page %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("error writing the page %s: %w", path, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("error writing the page %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("error writing the page %s: %w", path, err)
	}
	return nil
}
