package api

import (
	"net/http"
	"strings"

	"github.com/caravan-dev/caravan/fleet"
)

// filterSince is, for each list that takes $filter, the first api-version
// whose spec defines it there. Lists not named here refuse $filter.
var filterSince = map[kind]string{
	kindMembers: "2026-02-01-preview",
}

// memberFilter is a parsed $filter on a member list: clauses that must
// all hold.
type memberFilter []filterClause

type filterClause struct {
	field string // name, properties/group, properties/clusterResourceId, properties/labels/{key}
	value string
}

// filterFor reads a list request's $filter. Lists whose api-version does
// not define $filter refuse it, as do expressions caravan cannot
// evaluate: a filter is never silently ignored.
func filterFor(r *http.Request, rt route) (memberFilter, error) {
	q := r.URL.Query()
	if !q.Has("$filter") {
		return nil, nil
	}
	const field = "$filter"
	since, ok := filterSince[rt.kind()]
	if !ok {
		return nil, &fleet.Error{Kind: fleet.KindInvalid, Code: "InvalidQueryParameterValue", Field: field,
			Message: "$filter is not supported on " + paths[rt.kind()] + "; list without it and filter the results yourself"}
	}
	if s, ok := r.Context().Value(shapeKey{}).(requestShape); ok && s.version < mustVersion(since) {
		return nil, &fleet.Error{Kind: fleet.KindInvalid, Code: "InvalidQueryParameterValue", Field: field,
			Message: "$filter on " + paths[rt.kind()] + " is not defined in api-version " + s.version.String() + "; it comes with api-version " + since + ": send that api-version or a later one"}
	}
	return parseMemberFilter(q.Get("$filter"))
}

// parseMemberFilter parses the OData subset caravan evaluates on member
// lists: `field eq 'value'` clauses joined by `and`, on name,
// properties/group, properties/clusterResourceId and
// properties/labels/{key}. Quotes inside a value are doubled, as in
// OData.
func parseMemberFilter(expr string) (memberFilter, error) {
	bad := func(why string) error {
		return &fleet.Error{Kind: fleet.KindInvalid, Code: "InvalidQueryParameterValue", Field: "$filter",
			Message: "$filter " + strings.TrimSpace(why) + "; caravan evaluates clauses such as properties/group eq 'canary' and properties/labels/env eq 'prod', joined by and, on name, properties/group, properties/clusterResourceId and properties/labels/{key}"}
	}
	var out memberFilter
	rest := strings.TrimSpace(expr)
	if rest == "" {
		return nil, bad("is empty")
	}
	for {
		fieldEnd := strings.IndexByte(rest, ' ')
		if fieldEnd < 0 {
			return nil, bad("clause " + rest + " is not of the form field eq 'value'")
		}
		field := rest[:fieldEnd]
		rest = strings.TrimLeft(rest[fieldEnd:], " ")
		op, after, ok := strings.Cut(rest, " ")
		if !ok || !strings.EqualFold(op, "eq") {
			return nil, bad("operator " + op + " is not supported: only eq is")
		}
		rest = strings.TrimLeft(after, " ")
		if !strings.HasPrefix(rest, "'") {
			return nil, bad("value after " + field + " eq must be a quoted string such as 'prod'")
		}
		var val strings.Builder
		i := 1
		for ; i < len(rest); i++ {
			if rest[i] == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					val.WriteByte('\'')
					i++
					continue
				}
				break
			}
			val.WriteByte(rest[i])
		}
		if i >= len(rest) {
			return nil, bad("value after " + field + " eq has no closing quote")
		}
		lf := strings.ToLower(field)
		switch {
		case lf == "name", lf == "properties/group", lf == "properties/clusterresourceid":
		case strings.HasPrefix(lf, "properties/labels/") && len(field) > len("properties/labels/"):
			lf = "properties/labels/" + field[len("properties/labels/"):]
		default:
			return nil, bad("field " + field + " is not one caravan filters on")
		}
		out = append(out, filterClause{field: lf, value: val.String()})
		rest = strings.TrimLeft(rest[i+1:], " ")
		if rest == "" {
			return out, nil
		}
		conj, after, _ := strings.Cut(rest, " ")
		if !strings.EqualFold(conj, "and") {
			return nil, bad("joins clauses with " + conj + ": only and is supported")
		}
		rest = strings.TrimLeft(after, " ")
	}
}

// matches reports whether a member passes every clause. Names and
// cluster ids compare case-insensitively, as ARM compares them; groups
// and labels exactly.
func (f memberFilter) matches(m *fleet.Member) bool {
	for _, c := range f {
		var ok bool
		switch {
		case c.field == "name":
			ok = strings.EqualFold(m.Name, c.value)
		case c.field == "properties/group":
			ok = m.Properties.Group == c.value
		case c.field == "properties/clusterresourceid":
			ok = fleet.ClusterKey(m.Properties.ClusterResourceID) == fleet.ClusterKey(c.value)
		default:
			v, has := m.Properties.Labels[strings.TrimPrefix(c.field, "properties/labels/")]
			ok = has && v == c.value
		}
		if !ok {
			return false
		}
	}
	return true
}
