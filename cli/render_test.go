package cli

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/caravan-dev/caravan/fleet"
)

// fixtureRun is a run part way through, with fixed times: the canary
// stage done, production running with one member upgrading, one pending,
// one failed and one not started.
func fixtureRun() *fleet.UpdateRun {
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	at := func(s float64) *time.Time { v := t0.Add(time.Duration(s * float64(time.Second))); return &v }
	done := func(start, end float64) fleet.UpdateStatus {
		return fleet.UpdateStatus{State: fleet.Completed, StartTime: at(start), CompletedTime: at(end)}
	}
	deadline := at(200)
	return &fleet.UpdateRun{
		ID:   "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f1/updateRuns/to-1-32",
		Name: "to-1-32",
		Properties: fleet.UpdateRunProperties{
			UpdateStrategyID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f1/updateStrategies/safe",
			ManagedClusterUpdate: fleet.ManagedClusterUpdate{
				Upgrade:            fleet.UpgradeSpec{Type: fleet.UpgradeFull, KubernetesVersion: "1.32"},
				NodeImageSelection: &fleet.NodeImageSelection{Type: fleet.NodeImageConsistent},
			},
			Status: &fleet.RunStatus{
				Status:  fleet.UpdateStatus{State: fleet.Running, StartTime: at(0)},
				Message: "1 member held up (us-2): cannot reach the cloud at https://management.azure.com: connection refused; retrying",
				NodeImageSelection: &fleet.NodeImageSelectionStatus{SelectedNodeImageVersions: []fleet.NodeImageVersion{
					{Version: "AKSAzureLinux-V3gen2-202503.18.0"}, {Version: "AKSUbuntu-2204gen2containerd-202503.18.0"},
				}},
				Stages: []fleet.StageStatus{
					{
						Name: "canary", Status: done(0, 75),
						Groups: []fleet.GroupStatus{{Name: "canary", Status: done(0, 15), Members: []fleet.MemberStatus{
							{Name: "eu-1", Status: done(0, 6.5), Message: "upgraded to Kubernetes 1.32.6"},
							{Name: "eu-2", Status: fleet.UpdateStatus{State: fleet.Skipped, CompletedTime: at(6.5)}, Message: "already at Kubernetes 1.32.6 with the target node images"},
							{Name: "eu-3", Status: done(6.5, 15), Message: "upgraded to Kubernetes 1.32.6"},
						}}},
						AfterStageWaitStatus: &fleet.WaitStatus{Status: done(15, 75), WaitDurationInSeconds: 60},
					},
					{
						Name: "production", Status: fleet.UpdateStatus{State: fleet.Running, StartTime: at(75)},
						Groups: []fleet.GroupStatus{
							{Name: "prod-eu", Status: fleet.UpdateStatus{State: fleet.Running, StartTime: at(75)}, Members: []fleet.MemberStatus{
								{Name: "prod-eu-1", Status: done(75, 140), Message: "upgraded to Kubernetes 1.32.6"},
								{Name: "prod-eu-2", Status: fleet.UpdateStatus{State: fleet.Running, StartTime: at(140)}, Message: "upgrading to Kubernetes 1.32.6"},
								{Name: "prod-eu-3", Status: fleet.UpdateStatus{State: fleet.NotStarted}},
							}},
							{Name: "prod-asia", Status: fleet.UpdateStatus{State: fleet.Failed, StartTime: at(75), CompletedTime: at(90), Error: &fleet.ErrorDetail{Code: "UpgradeFailed", Message: "member prod-asia-1 failed"}}, Members: []fleet.MemberStatus{
								{Name: "prod-asia-1", Status: fleet.UpdateStatus{State: fleet.Failed, StartTime: at(75), CompletedTime: at(90), Error: &fleet.ErrorDetail{Code: "InvalidParameter", Message: "downgrade refused"}}},
								{Name: "prod-asia-2", Status: fleet.UpdateStatus{State: fleet.Pending}, Message: "Kubernetes 1.32.6 is not offered in southeastasia yet; will check again"},
							}},
						},
						AfterStageWaitStatus: &fleet.WaitStatus{Status: fleet.UpdateStatus{State: fleet.NotStarted}, Deadline: deadline},
					},
				},
			},
		},
	}
}

func TestRenderRunTree(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 2, 30, 0, time.UTC)
	var out strings.Builder
	out.WriteString("# show\n")
	renderRun(&out, fixtureRun(), renderOptions{now: now, loc: time.UTC})
	out.WriteString("\n# live\n")
	renderRun(&out, fixtureRun(), renderOptions{now: now, loc: time.UTC, live: true, width: 100})
	out.WriteString("\n# live, compact for a short terminal\n")
	out.WriteString(liveText(fixtureRun(), renderOptions{now: now, loc: time.UTC, live: true, width: 100}, 22))
	out.WriteString("\n# live in an 80×24 terminal\n")
	out.WriteString(liveText(fixtureRun(), renderOptions{now: now, loc: time.UTC, live: true, width: 80}, 24))
	out.WriteString("\n# live, cut for a terminal of 14 lines\n")
	out.WriteString(liveText(fixtureRun(), renderOptions{now: now, loc: time.UTC, live: true, width: 80}, 14))
	golden(t, "run_tree", out.String())
}

// TestLiveTreeFitsTheTerminal checks every line of the live tree fits its
// width and the whole fits its height, with a mark where it was cut.
func TestLiveTreeFitsTheTerminal(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 2, 30, 0, time.UTC)
	for _, size := range [][2]int{{80, 24}, {80, 14}, {60, 10}, {120, 40}, {80, 6}} {
		w, h := size[0], size[1]
		text := liveText(fixtureRun(), renderOptions{now: now, loc: time.UTC, live: true, width: w}, h)
		lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		if len(lines) > h-1 {
			t.Errorf("%d×%d: %d lines, want at most %d", w, h, len(lines), h-1)
		}
		for _, l := range lines {
			if n := utf8.RuneCountInString(l); n > w {
				t.Errorf("%d×%d: a line of %d columns: %q", w, h, n, l)
			}
		}
		full := strings.Count(liveText(fixtureRun(), renderOptions{now: now, loc: time.UTC, live: true, width: w}, 0), "\n")
		if full >= h && !strings.Contains(text, "terminal is too short") {
			t.Errorf("%d×%d: the tree was shortened without saying so:\n%s", w, h, text)
		}
	}
}

func TestFormatDurations(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second:                    "0.0s",
		400 * time.Millisecond:          "0.4s",
		9950 * time.Millisecond:         "9.9s",
		12 * time.Second:                "12s",
		125 * time.Second:               "2m05s",
		time.Hour + 2*time.Minute + 3e9: "1h02m",
		26*time.Hour + 30*time.Minute:   "26h30m",
	} {
		if got := fmtDuration(d); got != want {
			t.Errorf("fmtDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for s, want := range map[int]string{0: "0s", 45: "45s", 90: "1m30s", 3600: "1h", 5400: "1h30m", 3605: "1h5s"} {
		if got := fmtSeconds(s); got != want {
			t.Errorf("fmtSeconds(%d) = %q, want %q", s, got, want)
		}
	}
}

func TestChangeLogOrder(t *testing.T) {
	run := fixtureRun()
	l := newChangeLog(run, time.UTC)
	var out strings.Builder
	l.update(&out, run, time.Date(2025, 6, 1, 12, 2, 30, 0, time.UTC))
	first := out.String()
	out.Reset()
	l.update(&out, run, time.Date(2025, 6, 1, 12, 2, 31, 0, time.UTC))
	if out.Len() != 0 {
		t.Errorf("an unchanged run printed lines:\n%s", out.String())
	}
	run.Properties.Status.Stages[1].Groups[0].Members[1].Status.State = fleet.Completed
	end := time.Date(2025, 6, 1, 12, 2, 40, 0, time.UTC)
	run.Properties.Status.Stages[1].Groups[0].Members[1].Status.CompletedTime = &end
	run.Properties.Status.Stages[1].Groups[0].Members[1].Message = "upgraded to Kubernetes 1.32.6"
	l.update(&out, run, end)
	golden(t, "changes", first+"# next poll\n"+out.String())
}

// TestRenderRunShowsTheImageSpread: the run's note on the images its
// pools ended with is shown under the chosen images.
func TestRenderRunShowsTheImageSpread(t *testing.T) {
	run := fixtureRun()
	note := "node pools of the finished members are on 3 images, not one per family: 1 kept a newer image than the run's"
	run.Properties.Status.NodeImageSelection = &fleet.NodeImageSelectionStatus{
		SelectedNodeImageVersions: []fleet.NodeImageVersion{{Version: "AKSUbuntu-2204gen2containerd-202503.18.0"}},
		Message:                   note,
	}
	var out strings.Builder
	renderRun(&out, run, renderOptions{now: time.Date(2025, 6, 1, 12, 2, 30, 0, time.UTC), loc: time.UTC})
	if !strings.Contains(out.String(), "Images now:") || !strings.Contains(out.String(), note) {
		t.Fatalf("rendered run lacks the image note:\n%s", out.String())
	}
}

func TestRenderRunShowsAWindowHold(t *testing.T) {
	run := fixtureRun()
	hold := "outside its maintenance window aksManagedAutoUpgradeSchedule; waiting for it to open at 2025-06-01T18:00:00Z (until 2025-06-01T22:00:00Z)"
	m := &run.Properties.Status.Stages[1].Groups[0].Members[2]
	m.Status = fleet.UpdateStatus{State: fleet.Pending}
	m.Message = hold
	var out strings.Builder
	renderRun(&out, run, renderOptions{now: time.Date(2025, 6, 1, 12, 2, 30, 0, time.UTC), loc: time.UTC})
	if !strings.Contains(out.String(), "prod-eu-3") || !strings.Contains(out.String(), hold) {
		t.Fatalf("show does not give the window hold:\n%s", out.String())
	}
	var changes strings.Builder
	l := newChangeLog(fixtureRun(), time.UTC)
	l.update(&changes, run, time.Date(2025, 6, 1, 12, 2, 30, 0, time.UTC))
	if !strings.Contains(changes.String(), hold) {
		t.Fatalf("watch's change log does not give the window hold:\n%s", changes.String())
	}
}
