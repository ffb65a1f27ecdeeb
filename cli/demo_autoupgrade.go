package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/simcloud"
)

// demoProfile is the auto-upgrade profile of caravan demo --auto-upgrade.
const demoProfile = "nightly-images"

// demoRelease are the node images the auto-upgrade demo publishes
// mid-demo: one newer release of each family the demo's clusters run.
var demoRelease = []string{
	simcloud.FamilyUbuntu2204 + "-202506.11.0",
	simcloud.FamilyAzureLinux3 + "-202506.11.0",
	simcloud.FamilyWindows2022 + "-20348.3692.250610",
}

// runAutoUpgrade is caravan demo --auto-upgrade: the fleet gets an enabled
// NodeImage auto-upgrade profile instead of a hand-made run; the cloud
// then publishes a node image release, and the profile notices it,
// creates a run and starts it, which the demo shows live.
func (d *demo) runAutoUpgrade(ctx context.Context, begin time.Time, token, logPath string) error {
	before, strategy, err := d.createFleet(ctx)
	if err != nil {
		return err
	}
	profile, err := d.client.PutAutoUpgradeProfile(ctx, d.ref, demoProfile, fleet.AutoUpgradeProfileProperties{
		Channel:            fleet.ChannelNodeImage,
		UpdateStrategyID:   strategy.ID,
		NodeImageSelection: &fleet.AutoUpgradeNodeImageSelection{Type: fleet.NodeImageLatest},
	})
	if err != nil {
		return fmt.Errorf("error creating the auto-upgrade profile: %w", err)
	}
	w := d.out
	fmt.Fprintf(w, "caravan demo --auto-upgrade: %d simulated AKS clusters kept current by an auto-upgrade profile\n\n", len(d.plan.clusters))
	t := &table{}
	t.row("  Server", d.srv.URL+" (embedded, hosting a simulated AKS cloud)")
	t.row("  Fleet", fmt.Sprintf("%s in resource group %s: %d members in %s", demoFleet, demoResourceGroup, len(d.plan.clusters), strings.Join(demoRegions, ", ")))
	t.row("  Strategy", demoStrategy)
	t.row("  Profile", demoProfile+": channel NodeImage, enabled, strategy "+demoStrategy)
	t.write(w)
	fmt.Fprintln(w)
	catalog, err := d.client.SimulatorCatalog(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "The cloud now publishes node images %s in every region.\n", strings.Join(demoRelease, ", "))
	if err := d.srv.Cloud.PublishNodeImages(demoRelease); err != nil {
		return fmt.Errorf("error publishing the demo's node images: %w", err)
	}
	published := d.app.env.Now()
	run, err := d.awaitTrigger(ctx, profile.ID)
	if err != nil {
		if interrupted(ctx, err) {
			return &exitError{code: ExitInterrupted, msg: "demo interrupted"}
		}
		return err
	}
	fmt.Fprintf(w, "Profile %s noticed the release %.1fs later, created update run %s and started it.\n\n", demoProfile, d.app.env.Now().Sub(published).Seconds(), run)
	wt := &watcher{client: d.client, ref: d.ref, name: run, interval: defaultPollInterval, out: d.out, now: d.app.env.Now, loc: d.app.env.Location, mode: watchLines}
	if width, height, ok := d.app.env.Terminal(d.out); ok {
		wt.mode, wt.width, wt.height = watchLive, width, height
	}
	final, err := wt.watch(ctx)
	if err != nil {
		if interrupted(ctx, err) {
			return &exitError{code: ExitInterrupted, msg: "demo interrupted"}
		}
		return err
	}
	ops, err := d.client.SimulatorOperations(ctx, simcloud.OperationFilter{})
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	summarize(w, summaryInput{
		run: final, before: before, plan: d.plan, catalog: catalog, ops: ops,
		loc: d.app.env.Location, elapsed: d.app.env.Now().Sub(begin),
	})
	if p, err := d.client.GetAutoUpgradeProfile(ctx, d.ref, demoProfile); err == nil {
		fmt.Fprintf(w, "\nProfile %s: last trigger %s.\n", demoProfile, lastTrigger(p.Properties.Status))
	}
	result := outcome(final, d.ref)
	if d.keep {
		d.explore(token, logPath)
		<-ctx.Done()
		fmt.Fprintln(d.out, "Stopping the demo server.")
	}
	return result
}

// awaitTrigger waits for the profile's run to exist and start, and
// returns its name.
func (d *demo) awaitTrigger(ctx context.Context, profileID string) (string, error) {
	deadline := time.NewTimer(2 * time.Minute)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		runs, err := d.client.ListRuns(ctx, d.ref)
		if err != nil {
			return "", err
		}
		for _, r := range runs {
			if strings.EqualFold(r.Properties.AutoUpgradeProfileID, profileID) && r.Properties.Status != nil && r.Properties.Status.Status.State != fleet.NotStarted {
				return r.Name, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-deadline.C:
			p, _ := d.client.GetAutoUpgradeProfile(ctx, d.ref, demoProfile)
			why := "no trigger recorded"
			if p != nil && p.Properties.Status != nil && p.Properties.Status.LastTriggerError != nil {
				why = p.Properties.Status.LastTriggerError.Message
			}
			return "", fmt.Errorf("the auto-upgrade profile started no run within 2 minutes of the release: %s", why)
		case <-tick.C:
		}
	}
}
