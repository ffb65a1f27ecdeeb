package bench

import (
	"fmt"
	"slices"
	"strings"
)

// A target is a goal the figures are held to. Whether it is met is
// computed from the results, never written by hand.
type target struct {
	// Goal says the target in a line.
	Goal string
	eval func([]series) outcome
}

// outcome is a target's verdict on a set of results.
type outcome struct {
	// Measured is false when no result applies (another size, or the
	// scenario was not run).
	Measured bool
	Met      bool
	// Value is what was measured, as the page shows it.
	Value string
}

// Status is the verdict in words.
func (o outcome) Status() string {
	switch {
	case !o.Measured:
		return "not measured"
	case o.Met:
		return "**met**"
	}
	return "**not met**"
}

// targets are the goals of the figures: kubefleet's published run shapes
// measured well under a second, orchestration that adds little to an
// upgrade's own time, and a cost per transition that does not grow with
// the fleet. They hold on a 2-core machine.
var targets = []target{
	atMost("`kubefleet-1run` wall p90 ≤ 0.1 s", "kubefleet-1run", instant,
		func(r Result) (float64, bool) { return r.WallP90, true }, 0.1, "%.3f s"),
	atMost("`kubefleet-100runs` wall p90 ≤ 5 s", "kubefleet-100runs", hundredRuns,
		func(r Result) (float64, bool) { return r.WallP90, true }, 5, "%.2f s"),
	atMost("`kubefleet-100runs` peak RSS ≤ 256 MiB", "kubefleet-100runs", hundredRuns,
		func(r Result) (float64, bool) { return mib(r.PeakRSSBytes), true }, 256, "%.0f MiB"),
	atMost("`scale-10k` ≤ 0.25 ms per member transition", "scale-10k",
		func(r Result) bool { return instant(r) && r.Members == 10000 },
		func(r Result) (float64, bool) { return r.OverheadPerTransitionMS, true }, 0.25, "%.3f ms"),
	atMost("`overhead-realistic` wall / critical path ≤ 1.01", "overhead-realistic",
		func(r Result) bool { return r.LatencyMS == 200 && r.Jitter == 0.25 },
		func(r Result) (float64, bool) {
			if r.OverheadRatio == nil {
				return 0, false
			}
			return *r.OverheadRatio, true
		}, 1.01, "%.3f"),
	flat("`scaling` CPU per transition flat within 2× from 100 to 10,000 members",
		func(r Result) float64 { return r.CPUPerTransitionMS }, "%.3g ms"),
	flat("`scaling` wall time per transition flat within 2× from 100 to 10,000 members",
		func(r Result) float64 { return r.OverheadPerTransitionMS }, "%.3g ms"),
	flat("`scaling` bytes written per transition flat within 2× from 100 to 10,000 members",
		func(r Result) float64 { return r.BytesWrittenPerTransition }, "%.0f B"),
}

func instant(r Result) bool { return r.LatencyMS == 0 }

func hundredRuns(r Result) bool { return instant(r) && r.Runs == 100 && r.Members == 100 }

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// atMost is a target on one figure of one scenario: the median over the
// measurements of the first series that applies must be at most limit.
func atMost(goal, scenario string, applies func(Result) bool, value func(Result) (float64, bool), limit float64, format string) target {
	return target{Goal: goal, eval: func(all []series) outcome {
		for _, s := range all {
			if s.Scenario != scenario || !applies(s.Results[0]) {
				continue
			}
			st, ok := s.stat(value)
			if !ok {
				continue
			}
			v := fmt.Sprintf(format, st.median)
			if len(s.Results) > 1 {
				v += fmt.Sprintf(" (median of %d; "+format+" to "+format+")", len(s.Results), st.min, st.max)
			}
			return outcome{Measured: true, Met: st.median <= limit, Value: v}
		}
		return outcome{}
	}}
}

// flatSizes are the fleet sizes between which scaling's figures must stay
// within a factor of flatFactor.
var flatSizes = []int{100, 10000}

const flatFactor = 2.0

// flat is a target on one figure of the scaling scenario: its medians at
// every size measured from 100 to 10,000 members stay within a factor of
// 2 of each other. Both ends must have been measured.
func flat(goal string, value func(Result) float64, format string) target {
	return target{Goal: goal, eval: func(all []series) outcome {
		medians := map[int]float64{}
		for _, s := range all {
			r := s.Results[0]
			if s.Scenario != "scaling" || !instant(r) || r.Members < flatSizes[0] || r.Members > flatSizes[len(flatSizes)-1] {
				continue
			}
			if _, seen := medians[r.Members]; seen {
				continue
			}
			st, _ := s.stat(func(r Result) (float64, bool) { return value(r), true })
			medians[r.Members] = st.median
		}
		for _, size := range flatSizes {
			if _, ok := medians[size]; !ok {
				return outcome{}
			}
		}
		sizes := make([]int, 0, len(medians))
		for size := range medians {
			sizes = append(sizes, size)
		}
		slices.Sort(sizes)
		lo, hi := medians[sizes[0]], medians[sizes[0]]
		var parts []string
		for _, size := range sizes {
			lo, hi = min(lo, medians[size]), max(hi, medians[size])
			parts = append(parts, fmt.Sprintf(format+" at %s", medians[size], thousands(size)))
		}
		v := strings.Join(parts, ", ")
		if lo <= 0 {
			return outcome{Measured: true, Met: false, Value: v + ": a figure of 0 cannot be compared"}
		}
		return outcome{Measured: true, Met: hi/lo <= flatFactor, Value: fmt.Sprintf("%s: ×%.2f", v, hi/lo)}
	}}
}

// thousands writes n with commas: 10,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
