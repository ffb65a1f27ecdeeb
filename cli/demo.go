package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/auth"
	"github.com/caravan-dev/caravan/client"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/server"
	"github.com/caravan-dev/caravan/simcloud"
)

func (a *app) demoCmd() *cobra.Command {
	var members int
	var speed float64
	var addr string
	var keep, autoUpgrade bool
	c := &cobra.Command{
		Use:   "demo",
		Short: "Watch a simulated fleet upgrade, with nothing to set up",
		Long: `Start an embedded caravan server with a simulated AKS cloud, create a fleet
of clusters in three regions whose node image releases lag one another,
put them in a test → canary → production strategy, run a Full upgrade to
Kubernetes 1.32 with Consistent node images, show it live, and sum up what
was upgraded, which node images were chosen and why, and how long each
stage took.

With --auto-upgrade the fleet gets no hand-made run: it gets an enabled
NodeImage auto-upgrade profile instead, the simulated cloud publishes a node
image release mid-demo, and the profile creates and starts a run for it.

With --keep the server keeps running afterwards, to explore with the CLI,
until Ctrl-C.`,
		Example: `  caravan demo
  caravan demo --members 24 --speed 2
  caravan demo --auto-upgrade
  caravan demo --keep --addr 127.0.0.1:8080`,
		Args: noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if members < 3 || members > 300 {
				return usagef("--members %d: use 3 to 300", members)
			}
			if speed <= 0 || speed > 1000 {
				return usagef("--speed %g: use a number above 0, such as 2 for twice as fast", speed)
			}
			d := &demo{app: a, out: cmd.OutOrStdout(), errOut: cmd.ErrOrStderr(), members: members, speed: speed, addr: addr, keep: keep, autoUpgrade: autoUpgrade}
			return d.run(cmd.Context())
		},
	}
	c.Flags().IntVar(&members, "members", 12, "number of simulated clusters in the fleet")
	c.Flags().Float64Var(&speed, "speed", 1, "run the demo this many times faster")
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "address of the embedded server (port 0 picks a free one)")
	c.Flags().BoolVar(&autoUpgrade, "auto-upgrade", false, "show an auto-upgrade profile starting a run when the cloud publishes a node image release")
	c.Flags().BoolVar(&keep, "keep", false, "keep the server running afterwards to explore it with the CLI, until Ctrl-C")
	return c
}

// demo is one run of caravan demo.
type demo struct {
	app         *app
	out, errOut io.Writer
	members     int
	speed       float64
	addr        string
	keep        bool
	autoUpgrade bool

	srv    *server.Server
	client *client.Client
	ref    fleet.FleetRef
	plan   demoPlan
	dir    string
}

func (d *demo) run(ctx context.Context) (err error) {
	begin := d.app.env.Now()
	d.dir, err = os.MkdirTemp("", "caravan-demo-")
	if err != nil {
		return fmt.Errorf("error creating a directory for the demo: %w", err)
	}
	logPath := filepath.Join(d.dir, "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("error creating the server log: %w", err)
	}
	defer func() {
		if d.srv != nil {
			d.srv.Shutdown()
		}
		logFile.Close()
		if err == nil || d.keep || errors.Is(err, context.Canceled) || isInterrupt(err) {
			os.RemoveAll(d.dir)
		} else {
			fmt.Fprintf(d.errOut, "The embedded server's log is in %s.\n", logPath)
		}
	}()
	token := auth.NewToken()
	d.srv, err = server.Start(ctx, server.Config{
		Addr:            d.addr,
		DataDir:         filepath.Join(d.dir, "data"),
		Token:           token,
		Simulate:        true,
		RecheckInterval: 2 * time.Second,
		// The auto-upgrade demo's release is noticed within a second.
		AutoUpgradeInterval: time.Second,
		ShutdownTimeout:     5 * time.Second,
		Logger:              slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	if err != nil {
		return fmt.Errorf("error starting the embedded server: %w", err)
	}
	if d.client, err = client.New(client.Config{URL: d.srv.URL, Token: token, ResourceGroup: demoResourceGroup, UserAgent: "caravan-demo"}); err != nil {
		return err
	}
	d.ref = fleet.FleetRef{Subscription: d.client.Subscription(), ResourceGroup: demoResourceGroup, Fleet: demoFleet}
	d.plan = planDemo(d.members, d.speed)

	if err := d.seed(); err != nil {
		return err
	}
	if d.autoUpgrade {
		return d.runAutoUpgrade(ctx, begin, token, logPath)
	}
	before, strategy, err := d.createFleet(ctx)
	if err != nil {
		return err
	}
	d.intro()
	catalog, err := d.client.SimulatorCatalog(ctx)
	if err != nil {
		return err
	}
	update := fleet.ManagedClusterUpdate{
		Upgrade:            fleet.UpgradeSpec{Type: fleet.UpgradeFull, KubernetesVersion: demoTarget},
		NodeImageSelection: &fleet.NodeImageSelection{Type: fleet.NodeImageConsistent},
	}
	if _, err := d.client.PutRun(ctx, d.ref, demoRun, fleet.UpdateRunProperties{UpdateStrategyID: strategy.ID, ManagedClusterUpdate: update}); err != nil {
		return fmt.Errorf("error creating the update run: %w", err)
	}
	if _, err := d.client.StartRun(ctx, d.ref, demoRun); err != nil {
		return fmt.Errorf("error starting the update run: %w", err)
	}
	w := &watcher{client: d.client, ref: d.ref, name: demoRun, interval: defaultPollInterval, out: d.out, now: d.app.env.Now, loc: d.app.env.Location, mode: watchLines}
	if width, height, ok := d.app.env.Terminal(d.out); ok {
		w.mode, w.width, w.height = watchLive, width, height
	}
	final, err := w.watch(ctx)
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
	fmt.Fprintln(d.out)
	summarize(d.out, summaryInput{
		run: final, before: before, plan: d.plan, catalog: catalog, ops: ops,
		loc: d.app.env.Location, elapsed: d.app.env.Now().Sub(begin),
	})
	result := outcome(final, d.ref)
	if d.keep {
		d.explore(token, logPath)
		<-ctx.Done()
		fmt.Fprintln(d.out, "Stopping the demo server.")
	}
	return result
}

func isInterrupt(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.code == ExitInterrupted
}

// seed creates the demo's clusters in the simulated cloud.
func (d *demo) seed() error {
	for i, c := range d.plan.clusters {
		id, err := d.srv.Cloud.CreateCluster(c.spec)
		if err != nil {
			return fmt.Errorf("error creating the demo's simulated clusters: %w", err)
		}
		d.plan.clusters[i].spec.Subscription = segmentAfter(id, "subscriptions")
	}
	return nil
}

// createFleet creates the fleet, its members and the strategy through the
// API, and returns the members as they were before the upgrade.
func (d *demo) createFleet(ctx context.Context) ([]fleet.Member, *fleet.UpdateStrategy, error) {
	if _, err := d.client.PutFleet(ctx, d.ref, fleet.Fleet{Location: demoLocation, Tags: map[string]string{"purpose": "demo"}}); err != nil {
		return nil, nil, fmt.Errorf("error creating the demo fleet: %w", err)
	}
	for _, c := range d.plan.clusters {
		id := fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ContainerService/managedClusters/%s", c.spec.Subscription, demoClusterGroup, c.name)
		m := fleet.Member{Properties: fleet.MemberProperties{ClusterResourceID: id, Group: c.group, Labels: map[string]string{"region": c.region, "stage": c.stage}}}
		if _, err := d.client.PutMember(ctx, d.ref, c.name, m); err != nil {
			return nil, nil, fmt.Errorf("error adding member %s: %w", c.name, err)
		}
	}
	s, err := d.client.PutStrategy(ctx, d.ref, demoStrategy, d.plan.strategy)
	if err != nil {
		return nil, nil, fmt.Errorf("error creating the update strategy: %w", err)
	}
	before, err := d.client.ListMembers(ctx, d.ref)
	if err != nil {
		return nil, nil, err
	}
	return before, s, nil
}

// intro says what the demo set up and is about to do.
func (d *demo) intro() {
	w := d.out
	fmt.Fprintf(w, "caravan demo: a Full upgrade of %d simulated AKS clusters to Kubernetes %s\n\n", len(d.plan.clusters), demoTarget)
	groups := 0
	for _, st := range d.plan.strategy.Stages {
		groups += len(st.Groups)
	}
	t := &table{}
	t.row("  Server", d.srv.URL+" (embedded, hosting a simulated AKS cloud)")
	t.row("  Clusters", fmt.Sprintf("%d in %s, on Kubernetes 1.31; regions publish node images at their own pace", len(d.plan.clusters), strings.Join(demoRegions, ", ")))
	t.row("  Fleet", fmt.Sprintf("%s in resource group %s: %d members in %d update groups", demoFleet, demoResourceGroup, len(d.plan.clusters), groups))
	var names []string
	for _, st := range d.plan.strategy.Stages {
		names = append(names, st.Name)
	}
	t.row("  Strategy", demoStrategy+": "+strings.Join(names, " → "))
	width := 0
	for _, st := range d.plan.strategy.Stages {
		width = max(width, len(st.Name))
	}
	for _, st := range d.plan.strategy.Stages {
		var gs []string
		for _, g := range st.Groups {
			gs = append(gs, g.Name)
		}
		desc := fmt.Sprintf("%s: %s", plural(len(st.Groups), "group", "groups in parallel"), strings.Join(gs, ", "))
		if len(st.Groups) > 0 && st.Groups[0].MaxConcurrency != "" {
			desc += ", " + st.Groups[0].MaxConcurrency + " members at a time in each"
		}
		if st.AfterStageWaitInSeconds > 0 {
			desc += fmt.Sprintf("; then wait %s", fmtSeconds(st.AfterStageWaitInSeconds))
		}
		t.row("", fmt.Sprintf("  %-*s  %s", width, st.Name, desc))
	}
	t.row("  Run", demoRun+": Full upgrade to Kubernetes "+demoTarget+", Consistent node images")
	t.write(w)
	fmt.Fprintln(w)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// explore says how to use the server the demo keeps running.
func (d *demo) explore(token, logPath string) {
	g, f := demoResourceGroup, demoFleet
	fmt.Fprintf(d.out, `
The demo server keeps running at %s. Explore it from another terminal:

  export CARAVAN_ADDR=%s CARAVAN_TOKEN=%s
  caravan member list -g %s -f %s
  caravan updatestrategy show -g %s -f %s -n %s
  caravan updaterun show -g %s -f %s -n %s
  caravan updaterun create -g %s -f %s -n images --upgrade-type NodeImageOnly --node-image-selection Latest
  caravan updaterun start -g %s -f %s -n images && caravan updaterun watch -g %s -f %s -n images

Its log is %s. Press Ctrl-C to stop it.
`, d.srv.URL, d.srv.URL, token, g, f, g, f, demoStrategy, g, f, demoRun, g, f, g, f, g, f, logPath)
}
