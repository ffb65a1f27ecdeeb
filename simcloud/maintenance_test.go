package simcloud

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
)

// TestMaintenanceConfigurationsThroughSDK drives PUT, GET, list and DELETE
// with Azure's own client, and reads back every schedule kind.
func TestMaintenanceConfigurationsThroughSDK(t *testing.T) {
	h := newHarness(t, Options{})
	h.create("rg", "mc1", clusterBody("eastus", "", tagsInstant()))
	f, err := armcontainerservice.NewClientFactory(testSub, staticToken{}, h.clientOptions())
	if err != nil {
		t.Fatal(err)
	}
	mcs := f.NewMaintenanceConfigurationsClient()
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	auto := armcontainerservice.MaintenanceConfiguration{Properties: &armcontainerservice.MaintenanceConfigurationProperties{
		MaintenanceWindow: &armcontainerservice.MaintenanceWindow{
			Schedule: &armcontainerservice.Schedule{RelativeMonthly: &armcontainerservice.RelativeMonthlySchedule{
				IntervalMonths: to.Ptr[int32](2), WeekIndex: to.Ptr(armcontainerservice.TypeLast), DayOfWeek: to.Ptr(armcontainerservice.WeekDayFriday)}},
			DurationHours:   to.Ptr[int32](6),
			StartTime:       to.Ptr("22:30"),
			UTCOffset:       to.Ptr("+05:30"),
			StartDate:       &start,
			NotAllowedDates: []*armcontainerservice.DateSpan{{Start: to.Ptr(time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC)), End: to.Ptr(time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC))}},
		}}}
	put, err := mcs.CreateOrUpdate(ctx(t), "rg", "mc1", "aksManagedAutoUpgradeSchedule", auto, nil)
	if err != nil {
		t.Fatalf("error putting the auto-upgrade window: %v", err)
	}
	if *put.Name != "aksManagedAutoUpgradeSchedule" || !strings.HasSuffix(*put.ID, "/managedClusters/mc1/maintenanceConfigurations/aksManagedAutoUpgradeSchedule") {
		t.Fatalf("put answered %s %s", *put.Name, *put.ID)
	}
	node := armcontainerservice.MaintenanceConfiguration{Properties: &armcontainerservice.MaintenanceConfigurationProperties{
		MaintenanceWindow: &armcontainerservice.MaintenanceWindow{
			Schedule:      &armcontainerservice.Schedule{Daily: &armcontainerservice.DailySchedule{IntervalDays: to.Ptr[int32](3)}},
			DurationHours: to.Ptr[int32](4), StartTime: to.Ptr("01:00"),
		}}}
	if _, err := mcs.CreateOrUpdate(ctx(t), "rg", "mc1", "aksManagedNodeOSUpgradeSchedule", node, nil); err != nil {
		t.Fatalf("error putting the node OS window: %v", err)
	}
	got, err := mcs.Get(ctx(t), "rg", "mc1", "aksManagedAutoUpgradeSchedule", nil)
	if err != nil {
		t.Fatal(err)
	}
	w := got.Properties.MaintenanceWindow
	r := w.Schedule.RelativeMonthly
	if *r.IntervalMonths != 2 || *r.WeekIndex != armcontainerservice.TypeLast || *r.DayOfWeek != armcontainerservice.WeekDayFriday ||
		*w.DurationHours != 6 || *w.StartTime != "22:30" || *w.UTCOffset != "+05:30" || !w.StartDate.Equal(start) ||
		len(w.NotAllowedDates) != 1 || w.NotAllowedDates[0].End.Day() != 2 {
		t.Fatalf("read back %+v", w)
	}
	var names []string
	pager := mcs.NewListByManagedClusterPager("rg", "mc1", nil)
	for pager.More() {
		page, err := pager.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Value {
			names = append(names, *c.Name)
		}
	}
	if strings.Join(names, ",") != "aksManagedAutoUpgradeSchedule,aksManagedNodeOSUpgradeSchedule" {
		t.Fatalf("listed %v", names)
	}
	if _, err := mcs.Delete(ctx(t), "rg", "mc1", "aksManagedNodeOSUpgradeSchedule", nil); err != nil {
		t.Fatal(err)
	}
	_, err = mcs.Get(ctx(t), "rg", "mc1", "aksManagedNodeOSUpgradeSchedule", nil)
	wantResponseError(t, err, http.StatusNotFound, CodeResourceNotFound)
	// Deleting again is harmless.
	if _, err := mcs.Delete(ctx(t), "rg", "mc1", "aksManagedNodeOSUpgradeSchedule", nil); err != nil {
		t.Fatalf("deleting an absent configuration: %v", err)
	}
}

func TestMaintenanceConfigurationBadInput(t *testing.T) {
	h := newHarness(t, Options{})
	h.create("rg", "mc1", clusterBody("eastus", "", tagsInstant()))
	base := "/subscriptions/" + testSub + "/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc1/maintenanceConfigurations/"
	cases := []struct {
		name, body, want string
	}{
		{"aksManagedAutoUpgradeSchedule", `{"properties":{"maintenanceWindow":{"schedule":{"weekly":{"intervalWeeks":1,"dayOfWeek":"Sunday"}},"durationHours":2,"startTime":"02:00"}}}`, "durationHours"},
		{"aksManagedAutoUpgradeSchedule", `{"properties":{"maintenanceWindow":{"schedule":{},"durationHours":4,"startTime":"02:00"}}}`, "exactly one"},
		{"aksManagedAutoUpgradeSchedule", `{"properties":{"maintenanceWindow":{"schedule":{"daily":{"intervalDays":1}},"durationHours":4,"startTime":"02:00","utcOffset":"IST"}}}`, "utcOffset"},
		{"aksManagedAutoUpgradeSchedule", `{"properties":{}}`, "maintenanceWindow"},
		{"aksManagedAutoUpgradeSchedule", `not json`, "not valid JSON"},
		{"default", `{"properties":{"maintenanceWindow":{"schedule":{"daily":{"intervalDays":1}},"durationHours":4,"startTime":"02:00"}}}`, "aksManagedAutoUpgradeSchedule or aksManagedNodeOSUpgradeSchedule"},
	}
	for _, c := range cases {
		resp, data := h.raw(http.MethodPut, base+c.name+"?api-version=2025-02-01", c.body)
		_, msg := armErrorBody(t, data)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(msg, c.want) {
			t.Errorf("PUT %s %s: %d %s, want 400 naming %s", c.name, c.body, resp.StatusCode, msg, c.want)
		}
	}
	resp, _ := h.raw(http.MethodGet, "/subscriptions/"+testSub+"/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/nope/maintenanceConfigurations?api-version=2025-02-01", "")
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("listing the windows of a missing cluster: %d", resp.StatusCode)
	}
}

func TestSeedMaintenanceWindows(t *testing.T) {
	s, err := ParseSeed([]byte(`
clusters:
- name: a
  resourceGroup: rg
  region: eastus
  maintenanceWindows:
    aksManagedAutoUpgradeSchedule:
      schedule: {weekly: {intervalWeeks: 1, dayOfWeek: Saturday}}
      durationHours: 8
      startTime: "00:00"
`))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Options{})
	if _, err := h.cloud.CreateClusters(s); err != nil {
		t.Fatal(err)
	}
	resp, data := h.raw(http.MethodGet, "/subscriptions/"+DefaultSubscription+"/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/a/maintenanceConfigurations/aksManagedAutoUpgradeSchedule?api-version=2025-02-01", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), `"dayOfWeek":"Saturday"`) {
		t.Fatalf("seeded window: %d %s", resp.StatusCode, data)
	}
	bad, err := ParseSeed([]byte(`
clusters:
- name: b
  resourceGroup: rg
  region: eastus
  maintenanceWindows:
    nightly:
      schedule: {daily: {intervalDays: 1}}
      durationHours: 30
      startTime: "00:00"
    aksManagedNodeOSUpgradeSchedule:
      schedule: {daily: {intervalDays: 1}}
      durationHours: 30
      startTime: "00:00"
`))
	if err == nil {
		_, err = h.cloud.CreateClusters(bad)
	}
	if err == nil || !strings.Contains(err.Error(), "maintenanceWindows.nightly") || !strings.Contains(err.Error(), "maintenanceWindows.aksManagedNodeOSUpgradeSchedule") {
		t.Fatalf("bad seed: %v", err)
	}
}
