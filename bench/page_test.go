package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func ratio(v float64) *float64 { return &v }

// cannedResults are three measurements of every scenario at its default
// size; good says whether their medians meet the targets. The least or
// the greatest of each figure is on the other side of its target, so a
// page that judged by anything but the median would be wrong.
func cannedResults(good bool) []Result {
	pick := func(met, missed float64) float64 {
		if good {
			return met
		}
		return missed
	}
	machine := machine{Cores: 2, GoVersion: "go1.26.8", Date: "2026-11-30T05:00:00Z", CalibrationSHA4KB: 3000, CalibrationEngineUS: 40, LoadBefore: 0.3, LoadAfter: 0.9}
	var out []Result
	for i, spread := range []float64{1, 0.1, 5} { // median, below, above
		at := func(met, missed float64) float64 {
			// the median measurement is pick(); the others fall on either
			// side of the target.
			if i == 0 {
				return pick(met, missed)
			}
			return pick(met, missed) * spread
		}
		out = append(out,
			Result{Scenario: "kubefleet-1run", Store: "sqlite", Members: 1000, Fleets: 1, Runs: 10, MembersPerRun: 100,
				WallP50: at(0.04, 0.2), WallP90: at(0.06, 0.3), WallMax: at(0.07, 0.4), machine: machine, Exercises: "one run; measured: 3 requests"},
			Result{Scenario: "kubefleet-100runs", Store: "sqlite", Members: 100, Fleets: 100, Runs: 100, MembersPerRun: 100, Together: true,
				WallP90: at(4, 6), PeakRSSBytes: int64(at(200, 300) * (1 << 20)), machine: machine},
			Result{Scenario: "scale-10k", Store: "sqlite", Members: 10000, Fleets: 1, Runs: 1, MembersPerRun: 10000,
				OverheadPerTransitionMS: at(0.2, 0.5), GetRunP50MS: 3, machine: machine},
			Result{Scenario: "overhead-realistic", Store: "sqlite", Members: 500, Fleets: 1, Runs: 5, MembersPerRun: 100, LatencyMS: 200, Jitter: 0.25,
				CriticalPath: 1.4, OverheadRatio: ratio(at(1.005, 1.03)), OverheadRatioMax: ratio(1.04), machine: machine},
		)
	}
	for _, size := range []struct {
		members              int
		cpu, overhead, bytes float64
	}{
		{100, 0.4, 0.3, 1000},
		{1000, pick(0.5, 0.9), pick(0.35, 0.6), pick(1100, 2500)},
		{10000, pick(0.7, 1.2), pick(0.5, 0.9), pick(1300, 9000)},
	} {
		for range 3 {
			out = append(out, Result{Scenario: "scaling", Store: "sqlite", Members: size.members, Fleets: 1, Runs: 1, MembersPerRun: size.members,
				CPUPerTransitionMS: size.cpu, OverheadPerTransitionMS: size.overhead, BytesWrittenPerTransition: size.bytes, machine: machine})
		}
	}
	return out
}

func writePage(t *testing.T, p Page) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteMarkdown(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// verdicts reads the targets table: goal → verdict.
func verdicts(page string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(page, "\n") {
		for _, tg := range targets {
			if strings.HasPrefix(line, "| "+tg.Goal+" |") {
				cells := strings.Split(strings.Trim(line, "| "), " | ")
				out[tg.Goal] = cells[len(cells)-1]
			}
		}
	}
	return out
}

func TestPageJudgesTheTargetsByTheMedians(t *testing.T) {
	for _, good := range []bool{true, false} {
		page := writePage(t, Page{Command: "caravan bench --scenario all --repeat 3", Results: cannedResults(good), LoadBefore: 0.2, LoadAfter: 0.4})
		got := verdicts(page)
		want := "**not met**"
		if good {
			want = "**met**"
		}
		if len(got) != len(targets) {
			t.Fatalf("good=%v: the page has verdicts for %d targets, want %d:\n%s", good, len(got), len(targets), page)
		}
		for goal, v := range got {
			if v != want {
				t.Errorf("good=%v: %s: %s, want %s", good, goal, v, want)
			}
		}
	}
	page := writePage(t, Page{Command: "c", Results: cannedResults(true)})
	for _, want := range []string{
		"| `kubefleet-1run` wall p90 ≤ 0.1 s | 0.060 s (median of 3; 0.006 s to 0.300 s) | **met** |",
		"| `scaling` bytes written per transition flat within 2× from 100 to 10,000 members | 1000 B at 100, 1100 B at 1,000, 1300 B at 10,000: ×1.30 | **met** |",
		"| wall p90 (s) | 0.006 | 0.060 | 0.300 |",
		"### `kubefleet-100runs`: 100 fleets of 100 members, 100 runs of 100 started together, instant upgrades, sqlite",
		"| GET run while it runs, p50 (ms) | 3.0 | 3.0 | 3.0 |",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page has no line %q:\n%s", want, page)
		}
	}
	// What was measured of polling differs between measurements: the
	// section keeps what the scenario is, the table the counts.
	if strings.Contains(page, "measured: 3 requests") || !strings.Contains(page, "\none run.\n") {
		t.Errorf("the section of kubefleet-1run does not say what it exercises as the scenario does:\n%s", page)
	}
}

func TestPageSaysWhatWasNotMeasured(t *testing.T) {
	var some []Result
	for _, r := range cannedResults(true) {
		switch {
		case r.Scenario == "scaling" && r.Members == 10000:
		case r.Scenario == "kubefleet-100runs":
			r.Runs = 2 // another size than the target's
			some = append(some, r)
		default:
			some = append(some, r)
		}
	}
	got := verdicts(writePage(t, Page{Command: "c", Results: some}))
	for _, tg := range targets {
		measured := !strings.HasPrefix(tg.Goal, "`scaling`") && !strings.HasPrefix(tg.Goal, "`kubefleet-100runs`")
		if measured != (got[tg.Goal] != "not measured") {
			t.Errorf("%s: %s", tg.Goal, got[tg.Goal])
		}
	}
}

func TestPageTellsHowBusyTheMachineWas(t *testing.T) {
	rs := cannedResults(true)
	if page := writePage(t, Page{Command: "c", Results: rs, LoadBefore: 0.2, LoadAfter: 0.5}); !strings.Contains(page, "the machine was quiet") {
		t.Errorf("load under half the cores: no quiet machine in\n%s", page)
	}
	rs[3].LoadAfter = 3.5
	page := writePage(t, Page{Command: "c", Results: rs, LoadBefore: 0.2, LoadAfter: 0.5})
	if !strings.Contains(page, "reached 3.50, more than the 2 cores") || strings.Contains(page, "the machine was quiet") {
		t.Errorf("a scenario saw a load of 3.5 on 2 cores: the page does not say so\n%s", page)
	}
	for _, want := range []string{"```\n" + PageCommand + "\n```", "These figures came from `c`.", "| cores | 2 |", "| Go | go1.26.8 |"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page has no %q", want)
		}
	}
}

func TestMarkdownFileIsReplacedWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "benchmarks.md")
	os.WriteFile(path, []byte("old"), 0o644)
	if err := writeMarkdownFile(path, Page{Command: "c", Results: cannedResults(true)}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), "# Benchmarks\n") {
		t.Errorf("the file starts %q", string(b)[:min(len(b), 40)])
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("the directory holds %d files, want the page alone", len(entries))
	}
	if err := writeMarkdownFile(filepath.Join(path, "nope.md"), Page{}); err == nil || !strings.Contains(err.Error(), "nope.md") {
		t.Errorf("writing under a file: %v", err)
	}
}

func TestCommandLineLeavesOutThePassword(t *testing.T) {
	o := Options{Scenario: "all", Store: StorePostgres, PostgresDSN: "postgres://u:secret@h/db", Members: 500, Repeat: 3, Markdown: "out.md"}
	got := o.commandLine()
	if strings.Contains(got, "secret") || got != "caravan bench --scenario all --store postgres --postgres-dsn … --members 500 --repeat 3 --markdown out.md" {
		t.Errorf("command line %q", got)
	}
	if got := (Options{Scenario: "all", Repeat: 3, Markdown: "docs/benchmarks.md"}).commandLine(); got != PageCommand {
		t.Errorf("the page's own command reads %q, want %q", got, PageCommand)
	}
}
