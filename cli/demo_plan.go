package cli

import (
	"fmt"
	"math"
	"strconv"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/simcloud"
)

// The demo's names.
const (
	demoResourceGroup = "demo"
	demoClusterGroup  = "demo-clusters"
	demoFleet         = "demo-fleet"
	demoStrategy      = "safe-rollout"
	demoRun           = "upgrade-to-1-32"
	demoTarget        = "1.32"
	demoLocation      = "eastus"
)

// demoRegions lag one another in the default catalog: eastus has every
// node image release, westeurope one fewer, southeastasia two fewer.
var demoRegions = []string{"eastus", "westeurope", "southeastasia"}

// demoCluster is one simulated cluster of the demo and its member.
type demoCluster struct {
	name, region, stage, group string
	spec                       simcloud.ClusterSpec
	// families are the node image families of its pools.
	families []string
}

// demoPlan is the demo's fleet and strategy.
type demoPlan struct {
	clusters []demoCluster
	strategy fleet.RunStrategy
	wait     int
}

// demoNewest is the newest Linux node image release of the default
// catalog in the regions that lead southeastasia.
var demoNewest = map[string]string{"eastus": "202505.14.0", "westeurope": "202504.16.0"}

// planDemo lays out n clusters (at least 3) over three regions and three
// stages: about a sixth in test, a quarter in canary (a group per
// region), the rest in production (a group per region, two at a time).
// speed divides the simulated upgrade times and the waits.
func planDemo(n int, speed float64) demoPlan {
	nTest := max(1, n/6)
	nCanary := max(1, n/4)
	wait := int(math.Round(3 / speed))
	p := demoPlan{wait: wait}
	seconds := []float64{0.5, 0.8, 1.1, 1.4}
	kubernetes := []string{"1.31.4", "1.31.6", "1.31.8"}
	ubuntu := []string{"202501.12.0", "202502.09.0"}
	count := map[string]int{}
	var canaryGroups, prodGroups []string
	seen := map[string]bool{}
	for i := range n {
		region := demoRegions[i%len(demoRegions)]
		stage, prefix, group := "test", "test", "test"
		switch {
		case i >= nTest+nCanary:
			stage, prefix, group = "production", "prod", "prod-"+region
		case i >= nTest:
			stage, prefix, group = "canary", "canary", "canary-"+region
		}
		count[prefix+region]++
		name := fmt.Sprintf("%s-%s-%d", prefix, region, count[prefix+region])
		image := ubuntu[i%len(ubuntu)]
		if newest, ok := demoNewest[region]; ok && i%5 == 4 {
			// Created through AKS lately: on its region's newest image,
			// newer than what every region offers.
			image = newest
		}
		pools := []simcloud.PoolSpec{{Name: "nodepool1", Mode: "System", Count: 3, NodeImageVersion: simcloud.FamilyUbuntu2204 + "-" + image}}
		families := []string{simcloud.FamilyUbuntu2204}
		if i%4 == 3 {
			pools = append(pools, simcloud.PoolSpec{Name: "userpool", Mode: "User", Count: 2, OSSKU: "AzureLinux", NodeImageVersion: simcloud.FamilyAzureLinux3 + "-202502.09.0"})
			families = append(families, simcloud.FamilyAzureLinux3)
		}
		p.clusters = append(p.clusters, demoCluster{
			name: name, region: region, stage: stage, group: group, families: families,
			spec: simcloud.ClusterSpec{
				Name:              name,
				ResourceGroup:     demoClusterGroup,
				Region:            region,
				KubernetesVersion: kubernetes[i%len(kubernetes)],
				Tags:              map[string]string{simcloud.TagUpgradeSeconds: strconv.FormatFloat(seconds[i%len(seconds)]/speed, 'g', 3, 64)},
				Pools:             pools,
			},
		})
		seen[group] = true
	}
	for _, r := range demoRegions {
		if seen["canary-"+r] {
			canaryGroups = append(canaryGroups, "canary-"+r)
		}
		if seen["prod-"+r] {
			prodGroups = append(prodGroups, "prod-"+r)
		}
	}
	groups := func(names []string, conc string) []fleet.Group {
		var out []fleet.Group
		for _, g := range names {
			out = append(out, fleet.Group{Name: g, MaxConcurrency: conc})
		}
		return out
	}
	p.strategy = fleet.RunStrategy{Stages: []fleet.Stage{
		{Name: "test", Groups: groups([]string{"test"}, ""), AfterStageWaitInSeconds: wait},
		{Name: "canary", Groups: groups(canaryGroups, ""), AfterStageWaitInSeconds: wait},
		{Name: "production", Groups: groups(prodGroups, "2")},
	}}
	return p
}
