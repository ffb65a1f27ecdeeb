package fleet_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/caravan-dev/caravan/fleet"
)

// FuzzRunSpec feeds arbitrary request bodies through everything that
// checks a run at creation. Nothing may panic; a body that passes must
// build a status tree in which every strategy group appears once, with
// members only of that group.
func FuzzRunSpec(f *testing.F) {
	for _, seed := range []string{
		`{"managedClusterUpdate":{"upgrade":{"type":"Full","kubernetesVersion":"1.30"}},"strategy":{"stages":[{"name":"canary","groups":[{"name":"a"}],"afterStageWaitInSeconds":60},{"name":"prod","groups":[{"name":"b","maxConcurrency":"50%"}],"maxConcurrency":"3"}]}}`,
		`{"managedClusterUpdate":{"upgrade":{"type":"NodeImageOnly"},"nodeImageSelection":{"type":"Custom","customNodeImageVersions":[{"version":"AKSUbuntu-2204gen2containerd-202410.15.0"}]}}}`,
		`{"managedClusterUpdate":{"upgrade":{"type":"ControlPlaneOnly","kubernetesVersion":"1.31.2"},"nodeImageSelection":{"type":"Consistent"}}}`,
		`{"strategy":{"stages":[{"name":"x","groups":[{"name":"a"},{"name":"a"}]}]}}`,
		`{"strategy":{"stages":[]},"managedClusterUpdate":{"upgrade":{"type":"Full","kubernetesVersion":"v1.2.3.4"}}}`,
		`{"strategy":{"stages":[{"name":"S","groups":[{"name":"a","maxConcurrency":"0%"}],"afterStageWaitInSeconds":-1}]}}`,
	} {
		f.Add([]byte(seed))
	}
	members := []fleet.Member{}
	for i, g := range []string{"a", "a", "b", "", "c"} {
		members = append(members, fleet.Member{Name: fmt.Sprintf("m%d", i), Properties: fleet.MemberProperties{ClusterResourceID: "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/managedClusters/c", Group: g}})
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var p fleet.UpdateRunProperties
		if json.Unmarshal(body, &p) != nil {
			return
		}
		if err := fleet.ValidateUpdate("properties.managedClusterUpdate", p.ManagedClusterUpdate); err != nil {
			if fleet.KindOf(err) != fleet.KindInvalid {
				t.Fatalf("validation error of the wrong kind: %v", err)
			}
			return
		}
		if p.Strategy != nil {
			if err := fleet.ValidateStrategy("properties.strategy", p.Strategy); err != nil {
				if fleet.KindOf(err) != fleet.KindInvalid {
					t.Fatalf("validation error of the wrong kind: %v", err)
				}
				return
			}
		}
		status, err := fleet.NewRunStatus(p.Strategy, members)
		if err != nil {
			if fleet.KindOf(err) != fleet.KindInvalid {
				t.Fatalf("build error of the wrong kind: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, st := range status.Stages {
			for _, g := range st.Groups {
				if seen[g.Name] {
					t.Fatalf("group %s appears twice in the tree", g.Name)
				}
				seen[g.Name] = true
				for _, m := range g.Members {
					if p.Strategy != nil && g.Name != memberGroup(members, m.Name) {
						t.Fatalf("member %s of group %s is in group %s", m.Name, memberGroup(members, m.Name), g.Name)
					}
				}
			}
		}
	})
}

func memberGroup(ms []fleet.Member, name string) string {
	for _, m := range ms {
		if m.Name == name {
			return m.Properties.Group
		}
	}
	return ""
}

// FuzzConcurrency checks that any maxConcurrency either fails to parse or
// yields a limit between 1 and the member count (or its count).
func FuzzConcurrency(f *testing.F) {
	for _, s := range []string{"1", "3", "25%", "100%", "0", "101%", "-1", "1e3", " 5 ", "%", ""} {
		f.Add(s, 7)
	}
	f.Fuzz(func(t *testing.T, s string, total int) {
		c, err := fleet.ParseConcurrency("maxConcurrency", s)
		if err != nil {
			return
		}
		if total < 0 || total > 1_000_000 {
			return
		}
		limit := c.Limit(total, 1)
		if limit < 1 {
			t.Fatalf("%q of %d members gives limit %d", s, total, limit)
		}
		if c.Percent > 0 && total > 0 && limit > total {
			t.Fatalf("%q of %d members gives limit %d", s, total, limit)
		}
	})
}
