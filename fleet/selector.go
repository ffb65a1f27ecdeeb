package fleet

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// MemberSelector picks members by their labels instead of their group
// property. ByLabel is a Kubernetes label selector: comma-separated
// requirements, each "key=value" (or "=="), "key!=value", "key in (a,b)",
// "key notin (a,b)", "key" (has the label) or "!key" (has not).
type MemberSelector struct {
	ByLabel string `json:"byLabel"`
}

// requirement is one term of a label selector.
type requirement struct {
	key    string
	op     string // "in", "notin", "exists", "!exists"
	values []string
}

// LabelSelector is a parsed MemberSelector.
type LabelSelector []requirement

var (
	labelKey   = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
	labelValue = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$`)
	setTerm    = regexp.MustCompile(`^\s*([^\s!=(),]+)\s+(in|notin)\s*\(([^()]*)\)\s*$`)
)

// ParseSelector parses a label selector; field names it in errors.
func ParseSelector(field, s string) (LabelSelector, error) {
	bad := func(format string, a ...any) error {
		return Invalid(field, "%q is not a label selector: %s; use terms such as \"env=prod\", \"tier in (gold,silver)\" or \"!canary\", joined by commas", s, fmt.Sprintf(format, a...))
	}
	if strings.TrimSpace(s) == "" {
		return nil, bad("it is empty")
	}
	if len(s) > 512 {
		return nil, Invalid(field, "a label selector is at most 512 characters; this one has %d", len(s))
	}
	var out LabelSelector
	for _, term := range splitTerms(s) {
		t := strings.TrimSpace(term)
		var r requirement
		switch {
		case setTerm.MatchString(t):
			m := setTerm.FindStringSubmatch(t)
			r = requirement{key: m[1], op: m[2]}
			for _, v := range strings.Split(m[3], ",") {
				v = strings.TrimSpace(v)
				if !labelValue.MatchString(v) {
					return nil, bad("%q is not a label value", v)
				}
				r.values = append(r.values, v)
			}
		case strings.Contains(t, "!="):
			k, v, _ := strings.Cut(t, "!=")
			r = requirement{key: strings.TrimSpace(k), op: "notin", values: []string{strings.TrimSpace(v)}}
		case strings.Contains(t, "="):
			k, v, _ := strings.Cut(t, "=")
			v = strings.TrimPrefix(v, "=")
			r = requirement{key: strings.TrimSpace(k), op: "in", values: []string{strings.TrimSpace(v)}}
		case strings.HasPrefix(t, "!"):
			r = requirement{key: strings.TrimSpace(t[1:]), op: "!exists"}
		default:
			r = requirement{key: t, op: "exists"}
		}
		if !labelKey.MatchString(r.key) || len(r.key) > 317 {
			return nil, bad("%q is not a label key", r.key)
		}
		for _, v := range r.values {
			if !labelValue.MatchString(v) || len(v) > 63 {
				return nil, bad("%q is not a label value", v)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// splitTerms splits a selector on the commas outside parentheses.
func splitTerms(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// Matches reports whether labels satisfy every requirement.
func (sel LabelSelector) Matches(labels map[string]string) bool {
	for _, r := range sel {
		v, has := labels[r.key]
		switch r.op {
		case "exists":
			if !has {
				return false
			}
		case "!exists":
			if has {
				return false
			}
		case "in":
			if !has || !slices.Contains(r.values, v) {
				return false
			}
		case "notin":
			if has && slices.Contains(r.values, v) {
				return false
			}
		}
	}
	return true
}
