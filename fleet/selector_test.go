package fleet_test

import (
	"testing"

	"github.com/caravan-dev/caravan/fleet"
)

func TestLabelSelectors(t *testing.T) {
	gold := map[string]string{"env": "prod", "tier": "gold", "region": "eu"}
	for _, tc := range []struct {
		sel  string
		want bool
	}{
		{"env=prod", true},
		{"env==prod", true},
		{"env!=prod", false},
		{"env=prod,tier in (gold, silver)", true},
		{"tier notin (gold)", false},
		{"canary", false},
		{"!canary", true},
		{"region", true},
		{"env=prod, region=us", false},
		{"example.com/team=a", false},
	} {
		sel, err := fleet.ParseSelector("s", tc.sel)
		if err != nil {
			t.Fatalf("%q: %v", tc.sel, err)
		}
		if got := sel.Matches(gold); got != tc.want {
			t.Errorf("%q on %v: %v, want %v", tc.sel, gold, got, tc.want)
		}
	}
	for _, bad := range []string{"", "env=pr od", "env in gold", "=prod", "tier in (gold", "env=prod,,", "Bad Key=1"} {
		if _, err := fleet.ParseSelector("properties.strategy.stages[0].groups[0].memberSelector.byLabel", bad); err == nil {
			t.Errorf("%q parsed", bad)
		} else {
			check(t, err, "properties.strategy.stages[0].groups[0].memberSelector.byLabel: ")
		}
	}
}

func TestSelectorGroupsTakeTheLabelledMembers(t *testing.T) {
	m := func(name, group string, labels map[string]string) fleet.Member {
		return fleet.Member{Name: name, Properties: fleet.MemberProperties{ClusterResourceID: "c/" + name, Group: group, Labels: labels}}
	}
	members := []fleet.Member{
		m("a", "", map[string]string{"ring": "0"}),
		m("b", "", map[string]string{"ring": "1", "region": "eu"}),
		m("c", "", map[string]string{"ring": "1", "region": "us"}),
		m("d", "legacy", nil),
		m("e", "", map[string]string{"ring": "2"}),
	}
	sel := func(s string) *fleet.MemberSelector { return &fleet.MemberSelector{ByLabel: s} }
	s := &fleet.RunStrategy{Stages: []fleet.Stage{
		{Name: "canary", Groups: []fleet.Group{{Name: "ring0", MemberSelector: sel("ring=0")}, {Name: "legacy"}}},
		{Name: "prod", MemberSelector: sel("region"), Groups: []fleet.Group{{Name: "ring1", MemberSelector: sel("ring in (1,2)")}}},
	}}
	if err := fleet.ValidateStrategy("properties.strategy", s); err != nil {
		t.Fatal(err)
	}
	st, err := fleet.NewRunStatus(s, members)
	if err != nil {
		t.Fatal(err)
	}
	names := func(g fleet.GroupStatus) string {
		out := ""
		for _, m := range g.Members {
			out += m.Name
		}
		return out
	}
	if got := names(st.Stages[0].Groups[0]) + "|" + names(st.Stages[0].Groups[1]) + "|" + names(st.Stages[1].Groups[0]); got != "a|d|bc" {
		t.Fatalf("groups took %s, want a|d|bc (e has no region)", got)
	}
	if left := fleet.LeftOut(s, members); len(left) != 1 || left[0].Name != "e" {
		t.Fatalf("left out %+v, want e", left)
	}
	s.Stages[1].MemberSelector = nil
	s.Stages[1].Groups[0].MemberSelector = sel("ring")
	_, err = fleet.NewRunStatus(s, members)
	check(t, err, `properties.strategy.stages[1].groups[0]: member "a" is matched by both group "ring0" and group "ring1"`)
	s.Stages[1].Groups[0].MemberSelector = sel("ring=9")
	_, err = fleet.NewRunStatus(s, members)
	check(t, err, `properties.strategy.stages[1].groups[0].memberSelector: group "ring1" selects no members`)
	s.Stages[1].Groups[0].MemberSelector = sel("ring in 1")
	check(t, fleet.ValidateStrategy("properties.strategy", s), `properties.strategy.stages[1].groups[0].memberSelector.byLabel: "ring in 1" is not a label selector`)
}
