package fleet

import (
	"strconv"
	"strings"
)

// Concurrency is a parsed maxConcurrency: a count, or a percentage of the
// members it applies to. The zero value means "not set".
type Concurrency struct {
	Count   int
	Percent int
}

// ParseConcurrency parses "3" or "25%". An empty string is the zero value.
func ParseConcurrency(field, s string) (Concurrency, error) {
	if s == "" {
		return Concurrency{}, nil
	}
	t := strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(t, "%"); ok {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 100 {
			return Concurrency{}, Invalid(field, "%q is not a valid percentage: use 1%% to 100%%, such as \"25%%\"", s)
		}
		return Concurrency{Percent: n}, nil
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 1 || n > 1_000_000 {
		return Concurrency{}, Invalid(field, "%q is not a valid concurrency: use a count of at least 1, such as \"3\", or a percentage, such as \"25%%\"", s)
	}
	return Concurrency{Count: n}, nil
}

// IsSet reports whether a limit was given.
func (c Concurrency) IsSet() bool { return c.Count > 0 || c.Percent > 0 }

// Limit is how many of total members may upgrade at once: the count, or
// the percentage of total rounded down, and never less than 1. When unset
// it returns def.
func (c Concurrency) Limit(total, def int) int {
	var n int
	switch {
	case c.Count > 0:
		n = c.Count
	case c.Percent > 0:
		n = total * c.Percent / 100
	default:
		return def
	}
	return max(n, 1)
}

// resolveConcurrency writes into a status tree the counts its strategy's
// maxConcurrency values come to for the members the tree holds, as the
// engine applies them: a stage without a limit lets all of its members
// go at once; a group without one, one at a time; a group never more
// than its members or its stage's count. Values were validated before.
func resolveConcurrency(st *RunStatus, strategy *RunStrategy) {
	for si := range st.Stages {
		ss := &st.Stages[si]
		var stageLimit Concurrency
		var groups []Group
		if strategy != nil && si < len(strategy.Stages) {
			stageLimit, _ = ParseConcurrency("", strategy.Stages[si].MaxConcurrency)
			groups = strategy.Stages[si].Groups
		}
		total := 0
		for _, g := range ss.Groups {
			total += len(g.Members)
		}
		ss.MaxConcurrency = min(stageLimit.Limit(total, total), max(total, 1))
		for gi := range ss.Groups {
			gs := &ss.Groups[gi]
			var groupLimit Concurrency
			if gi < len(groups) {
				groupLimit, _ = ParseConcurrency("", groups[gi].MaxConcurrency)
			}
			n := len(gs.Members)
			gs.MaxConcurrency = max(1, min(groupLimit.Limit(n, 1), n, ss.MaxConcurrency))
		}
	}
}
