package fleet

import (
	"strconv"
	"strings"
)

// Budget is a parsed maxAllowedFailures: how many members of a stage or
// group may fail without failing the run, as a count or a percentage of
// its members. The zero value means "not set": no failure is allowed.
type Budget struct {
	Count   int
	Percent int
	set     bool
}

// ParseBudget parses "1", "0" or "10%". An empty string is the zero value.
func ParseBudget(field, s string) (Budget, error) {
	if s == "" {
		return Budget{}, nil
	}
	t := strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(t, "%"); ok {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 100 {
			return Budget{}, Invalid(field, "%q is not a valid percentage: use 0%% to 100%% of the members, such as \"10%%\"", s)
		}
		return Budget{Percent: n, set: true}, nil
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 || n > 1_000_000 {
		return Budget{}, Invalid(field, "%q is not a valid failure budget: use a count of 0 or more, such as \"1\", or a percentage, such as \"10%%\"", s)
	}
	return Budget{Count: n, set: true}, nil
}

// IsSet reports whether a budget was given.
func (b Budget) IsSet() bool { return b.set }

// Allowed is how many of total members may fail: the count, or the
// percentage of total rounded down.
func (b Budget) Allowed(total int) int {
	if b.Percent > 0 {
		return total * b.Percent / 100
	}
	return b.Count
}

// checkBudget refuses a count budget above the members it applies to.
func checkBudget(field, s string, members int, what string) error {
	b, err := ParseBudget(field, s)
	if err != nil {
		return err
	}
	if b.Percent == 0 && b.Count > members {
		return Invalid(field, "%q allows more failures than %s has members (%d); use at most %d", s, what, members, members)
	}
	return nil
}
