package aks

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"

	"github.com/caravan-dev/caravan/maintenance"
)

// windows lists the cluster's planned maintenance configurations, one
// call (a page holds every configuration a cluster can have), and
// returns the windows of those that have one, by configuration name.
// A configuration with only the legacy timeInWeek has no window here.
func (p *Provider) windows(ctx context.Context, id clusterID) (map[string]maintenance.Window, error) {
	cs, err := p.clients(id.subscription)
	if err != nil {
		return nil, err
	}
	var out map[string]maintenance.Window
	pager := cs.maintenance.NewListByManagedClusterPager(id.resourceGroup, id.name, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, asError(err, fmt.Sprintf("error listing the maintenance configurations of cluster %s", id.name))
		}
		for _, mc := range page.Value {
			if mc == nil || mc.Name == nil || mc.Properties == nil || mc.Properties.MaintenanceWindow == nil {
				continue
			}
			if out == nil {
				out = map[string]maintenance.Window{}
			}
			out[*mc.Name] = fromSDKWindow(mc.Properties.MaintenanceWindow)
		}
	}
	return out, nil
}

// fromSDKWindow converts the SDK's model of a maintenance window.
func fromSDKWindow(w *armcontainerservice.MaintenanceWindow) maintenance.Window {
	out := maintenance.Window{
		StartTime: deref(w.StartTime),
		UTCOffset: deref(w.UTCOffset),
	}
	if w.DurationHours != nil {
		out.DurationHours = int(*w.DurationHours)
	}
	if w.StartDate != nil {
		out.StartDate = w.StartDate.Format("2006-01-02")
	}
	for _, d := range w.NotAllowedDates {
		if d == nil || d.Start == nil || d.End == nil {
			continue
		}
		out.NotAllowedDates = append(out.NotAllowedDates, maintenance.DateSpan{Start: d.Start.Format("2006-01-02"), End: d.End.Format("2006-01-02")})
	}
	s := w.Schedule
	if s == nil {
		return out
	}
	i32 := func(p *int32) int {
		if p == nil {
			return 0
		}
		return int(*p)
	}
	str := func(p *armcontainerservice.WeekDay) string {
		if p == nil {
			return ""
		}
		return string(*p)
	}
	if s.Daily != nil {
		out.Schedule.Daily = &maintenance.Daily{IntervalDays: i32(s.Daily.IntervalDays)}
	}
	if s.Weekly != nil {
		out.Schedule.Weekly = &maintenance.Weekly{IntervalWeeks: i32(s.Weekly.IntervalWeeks), DayOfWeek: str(s.Weekly.DayOfWeek)}
	}
	if s.AbsoluteMonthly != nil {
		out.Schedule.AbsoluteMonthly = &maintenance.AbsoluteMonthly{IntervalMonths: i32(s.AbsoluteMonthly.IntervalMonths), DayOfMonth: i32(s.AbsoluteMonthly.DayOfMonth)}
	}
	if r := s.RelativeMonthly; r != nil {
		idx := ""
		if r.WeekIndex != nil {
			idx = string(*r.WeekIndex)
		}
		out.Schedule.RelativeMonthly = &maintenance.RelativeMonthly{IntervalMonths: i32(r.IntervalMonths), WeekIndex: idx, DayOfWeek: str(r.DayOfWeek)}
	}
	return out
}
