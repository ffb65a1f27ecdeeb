package aks_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/maintenance"
	"github.com/caravan-dev/caravan/simcloud"
)

// A glance is one GET of the managed cluster: the same cluster Describe
// reports, without its maintenance windows and without a basis.
func TestGlanceReadsTheClusterOnly(t *testing.T) {
	var rec calls
	sim := newSim(t, simcloud.Options{}, rec.wrap)
	p := sim.provider(t, nil)
	id, err := sim.cloud.CreateCluster(simcloud.ClusterSpec{
		Name: "glanced", ResourceGroup: simGroup, Region: simRegion, KubernetesVersion: "1.30.7",
		MaintenanceWindows: map[string]maintenance.Window{maintenance.AutoUpgradeSchedule: {
			Schedule: maintenance.Schedule{Weekly: &maintenance.Weekly{IntervalWeeks: 1, DayOfWeek: "Saturday"}}, DurationHours: 4, StartTime: "01:00",
		}},
		Pools: []simcloud.PoolSpec{{Name: "system", Count: 1, Mode: "System", OSType: simcloud.OSTypeLinux, OSSKU: simcloud.OSSKUUbuntu, KubernetesVersion: "1.30.7"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	described, err := p.Describe(ctx, id) // fills the region's offer cache
	if err != nil {
		t.Fatal(err)
	}
	if len(described.MaintenanceWindows) == 0 {
		t.Fatal("Describe reported no maintenance windows for a cluster that has one")
	}
	n := len(rec.since(0))
	glanced, err := cluster.Glance(ctx, p, id)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, c := range rec.since(n) {
		kinds[requestKind(c)]++
	}
	if len(rec.since(n)) != 1 || kinds["get"] != 1 {
		t.Errorf("a glance sent %v, want one GET of the cluster", kinds)
	}
	if glanced.MaintenanceWindows != nil || glanced.Basis != nil {
		t.Errorf("a glance carried windows %v and basis %v, want neither", glanced.MaintenanceWindows, glanced.Basis)
	}
	want := *described
	want.MaintenanceWindows, want.Basis = nil, nil
	if !reflect.DeepEqual(*glanced, want) {
		t.Errorf("a glance saw\n%+v\nDescribe saw\n%+v", *glanced, want)
	}
}
