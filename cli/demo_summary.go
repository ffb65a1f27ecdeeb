package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/caravan-dev/caravan/client"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/runview"
	"github.com/caravan-dev/caravan/simcloud"
	"github.com/caravan-dev/caravan/version"
)

// summaryInput is what the demo's summary is made from.
type summaryInput struct {
	run     *fleet.UpdateRun
	before  []fleet.Member
	plan    demoPlan
	catalog []client.SimulatorRegion
	ops     []simcloud.Operation
	loc     *time.Location
	elapsed time.Duration
}

// summarize writes what the run upgraded (from → to, per member), which
// node images it chose and why, how long each stage took, and what the
// simulated cloud recorded.
func summarize(w io.Writer, in summaryInput) {
	st := in.run.Properties.Status
	if st == nil {
		return
	}
	c := runview.CountMembers(st)
	took := ""
	if d, ok := span(st.Status.StartTime, st.Status.CompletedTime, time.Now()); ok {
		took = " in " + fmtDuration(d)
	}
	fmt.Fprintf(w, "Summary: update run %s %s%s: %d of %d members upgraded", in.run.Name, st.Status.State, took, c.Completed, c.Total)
	if c.Skipped > 0 {
		fmt.Fprintf(w, ", %d skipped", c.Skipped)
	}
	if c.Failed > 0 {
		fmt.Fprintf(w, ", %d failed", c.Failed)
	}
	fmt.Fprintf(w, " (the whole demo took %s).\n\n", fmtDuration(in.elapsed))

	summarizeMembers(w, in)
	summarizeImages(w, in)
	summarizeStages(w, in)
	summarizeOperations(w, in)
}

func summarizeMembers(w io.Writer, in summaryInput) {
	region := map[string]string{}
	for _, c := range in.plan.clusters {
		region[c.name] = c.region
	}
	was := map[string]*fleet.ClusterInfo{}
	for _, m := range in.before {
		was[m.Name] = m.Properties.Cluster
	}
	fmt.Fprintln(w, "What was upgraded (node images by release; families below):")
	t := newTable("MEMBER", "STAGE / GROUP", "REGION", "KUBERNETES", "NODE IMAGES", "STATE", "TOOK")
	for _, s := range in.run.Properties.Status.Stages {
		for _, g := range s.Groups {
			for _, m := range g.Members {
				fromK8s, fromImages := "?", []string{"?"}
				if ci := was[m.Name]; ci != nil {
					fromK8s = ci.KubernetesVersion
					fromImages = nil
					for _, img := range ci.NodeImageVersions {
						fromImages = append(fromImages, releaseOf(img))
					}
					slices.Sort(fromImages)
					fromImages = slices.Compact(fromImages)
				}
				k8s, images := fromK8s, strings.Join(fromImages, ", ")
				if t := m.Target; t != nil && m.Status.State == fleet.Completed && t.KubernetesVersion != "" {
					k8s = fromK8s + " → " + t.KubernetesVersion
				}
				// The images the cloud showed when the member ended, not
				// the ones the run asked for.
				if o := m.Observed; o != nil && m.Status.State.Finished() {
					var to []string
					for _, p := range o.NodePools {
						r := releaseOf(p.NodeImageVersion)
						if p.KeptNewerImage {
							r += " (kept)"
						}
						to = append(to, r)
					}
					slices.Sort(to)
					to = slices.Compact(to)
					switch now := strings.Join(to, ", "); {
					case strings.ReplaceAll(now, " (kept)", "") == images && now != images:
						images += " (kept: newer than the choice)"
					case now != images:
						images += " → " + now
					}
				}
				dur := ""
				if d, ok := span(m.Status.StartTime, m.Status.CompletedTime, time.Now()); ok && m.Status.CompletedTime != nil {
					dur = fmtDuration(d)
				}
				t.row(m.Name, s.Name+" / "+g.Name, region[m.Name], k8s, images, string(m.Status.State), dur)
			}
		}
	}
	t.write(w)
	fmt.Fprintln(w)
}

// summarizeImages explains the Consistent choice: per image family, the
// newest release in each region that has clusters of that family, and the
// newest release all of them offer.
func summarizeImages(w io.Writer, in summaryInput) {
	st := in.run.Properties.Status
	if st.NodeImageSelection == nil || len(st.NodeImageSelection.SelectedNodeImageVersions) == 0 {
		return
	}
	latest := map[string]map[string]string{} // region → family → newest image
	for _, r := range in.catalog {
		latest[r.Name] = r.LatestNodeImages
	}
	used := map[string]map[string]bool{} // family → regions with clusters of it
	for _, c := range in.plan.clusters {
		for _, f := range c.families {
			if used[f] == nil {
				used[f] = map[string]bool{}
			}
			used[f][c.region] = true
		}
	}
	fmt.Fprintln(w, "Node images: Consistent picks, per image family, the newest release that every region of the run's clusters offers.")
	header := []string{"FAMILY"}
	for _, r := range demoRegions {
		header = append(header, "NEWEST IN "+strings.ToUpper(r))
	}
	header = append(header, "CHOSEN")
	t := newTable(header...)
	type lag struct{ heldBy, ahead, chosen string }
	var order []lag
	families := map[lag][]string{}
	for _, v := range st.NodeImageSelection.SelectedNodeImageVersions {
		fam := version.ImageFamily(v.Version)
		row := []string{fam}
		var heldBy, ahead []string
		for _, r := range demoRegions {
			img, ok := latest[r][fam]
			if !used[fam][r] || !ok {
				row = append(row, "- (no clusters)")
				continue
			}
			row = append(row, releaseOf(img))
			switch version.CompareNodeImages(img, v.Version) {
			case 0:
				heldBy = append(heldBy, r)
			case 1:
				ahead = append(ahead, r)
			}
		}
		t.row(append(row, releaseOf(v.Version))...)
		if len(ahead) > 0 && len(heldBy) > 0 {
			l := lag{strings.Join(heldBy, " and "), strings.Join(ahead, " and "), releaseOf(v.Version)}
			if families[l] == nil {
				order = append(order, l)
			}
			families[l] = append(families[l], fam)
		}
	}
	t.write(w)
	// What the pools in the leading regions did, as observed: moved to
	// the chosen image, or kept a newer one they already ran.
	region := map[string]string{}
	for _, c := range in.plan.clusters {
		region[c.name] = c.region
	}
	for _, l := range order {
		moved, kept := 0, 0
		for _, s := range st.Stages {
			for _, g := range s.Groups {
				for _, m := range g.Members {
					if m.Observed == nil || !strings.Contains(l.ahead, region[m.Name]) {
						continue
					}
					for _, p := range m.Observed.NodePools {
						if !slices.Contains(families[l], version.ImageFamily(p.NodeImageVersion)) {
							continue
						}
						switch {
						case p.KeptNewerImage:
							kept++
						case releaseOf(p.NodeImageVersion) == l.chosen:
							moved++
						}
					}
				}
			}
		}
		fmt.Fprintf(w, "  %s: %s has nothing newer than %s.", strings.Join(families[l], " and "), l.heldBy, l.chosen)
		if moved > 0 {
			fmt.Fprintf(w, " %d node pools in %s moved to it, not to their region's newest.", moved, l.ahead)
		}
		if kept > 0 {
			fmt.Fprintf(w, " %d node pools in %s already ran a newer image and kept it: node images never move backwards.", kept, l.ahead)
		}
		fmt.Fprintln(w)
	}
	if msg := st.NodeImageSelection.Message; msg != "" {
		fmt.Fprintf(w, "  Result: %s.\n", msg)
	}
	fmt.Fprintln(w, "  With Latest, each cluster would take its own region's newest image, and the fleet would run different images.")
	fmt.Fprintln(w)
}

func summarizeStages(w io.Writer, in summaryInput) {
	fmt.Fprintln(w, "Stages:")
	t := newTable("STAGE", "GROUPS", "MEMBERS", "STATE", "UPGRADES TOOK", "THEN WAITED")
	for _, s := range in.run.Properties.Status.Stages {
		var names []string
		members := 0
		var last *time.Time
		for _, g := range s.Groups {
			names = append(names, g.Name)
			members += len(g.Members)
			if ct := g.Status.CompletedTime; ct != nil && (last == nil || ct.After(*last)) {
				last = ct
			}
		}
		upgrades := ""
		if d, ok := span(s.Status.StartTime, last, time.Now()); ok && last != nil {
			upgrades = fmtDuration(d)
		}
		waited := "-"
		if ws := s.AfterStageWaitStatus; ws != nil && ws.WaitDurationInSeconds > 0 {
			waited = fmtSeconds(ws.WaitDurationInSeconds)
		}
		t.row(s.Name, strings.Join(names, ", "), fmt.Sprint(members), string(s.Status.State), upgrades, waited)
	}
	t.write(w)
	fmt.Fprintln(w)
}

func summarizeOperations(w io.Writer, in summaryInput) {
	kinds := map[simcloud.OperationKind]int{}
	controlPlane := map[string]int{}
	for _, op := range in.ops {
		kinds[op.Kind]++
		if op.Kind == simcloud.KindUpgradeControlPlane {
			controlPlane[strings.ToLower(op.Cluster)]++
		}
	}
	var parts []string
	for _, k := range []simcloud.OperationKind{simcloud.KindUpgradeControlPlane, simcloud.KindUpgradeAgentPool, simcloud.KindUpgradeNodeImage} {
		if kinds[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", kinds[k], k))
		}
	}
	twice := 0
	for _, n := range controlPlane {
		if n > 1 {
			twice++
		}
	}
	fmt.Fprintf(w, "The simulated cloud recorded %d operations (%s); ", len(in.ops), strings.Join(parts, ", "))
	if twice == 0 {
		fmt.Fprintln(w, "no cluster's control plane was upgraded twice.")
	} else {
		fmt.Fprintf(w, "%d clusters had their control plane upgraded more than once.\n", twice)
	}
}
