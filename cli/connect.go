package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/client"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/server"
)

// Environment variables the client commands read.
const (
	envAddr          = "CARAVAN_ADDR"
	envToken         = "CARAVAN_TOKEN"
	envSubscription  = "CARAVAN_SUBSCRIPTION"
	envResourceGroup = "CARAVAN_RESOURCE_GROUP"
)

// app holds what the commands share: the environment and the flags that
// say which server, credentials and fleet to use.
type app struct {
	env *Env

	server, token, subscription string
	resourceGroup, fleet        string
	output                      string

	cfg    *fileConfig
	cfgErr error
}

// addAPIFlags adds the flags of commands that call a server.
func (a *app) addAPIFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVar(&a.server, "server", "", "caravan server URL (default $"+envAddr+", the config file, or http://"+server.DefaultAddr+")")
	f.StringVar(&a.token, "token", "", "bearer token (default $"+envToken+" or the config file)")
	f.StringVar(&a.subscription, "subscription", "", "subscription id (default $"+envSubscription+", the config file, or "+client.DefaultSubscription+")")
	f.StringVarP(&a.output, "output", "o", "table", "output format: table, json or yaml")
	cmd.RegisterFlagCompletionFunc("output", fixedCompletion("table", "json", "yaml"))
}

// addGroupFlag adds --resource-group.
func (a *app) addGroupFlag(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVarP(&a.resourceGroup, "resource-group", "g", "", "resource group of the fleet (default $"+envResourceGroup+" or the config file)")
}

// addFleetFlags adds --resource-group and --fleet-name.
func (a *app) addFleetFlags(cmd *cobra.Command) {
	a.addGroupFlag(cmd)
	cmd.PersistentFlags().StringVarP(&a.fleet, "fleet-name", "f", "", "name of the fleet: 1 to 63 lower-case letters, digits and dashes")
}

func (a *app) config() (fileConfig, error) {
	if a.cfg == nil && a.cfgErr == nil {
		path, err := a.env.configPath()
		if err != nil {
			a.cfgErr = err
		} else {
			c, err := loadConfig(path)
			a.cfg, a.cfgErr = &c, err
		}
	}
	if a.cfgErr != nil {
		return fileConfig{}, a.cfgErr
	}
	return *a.cfg, nil
}

// pick returns the first non-empty value.
func pick(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// client builds the API client: flags, then the environment, then the
// config file.
func (a *app) client() (*client.Client, error) {
	if err := a.checkOutput(); err != nil {
		return nil, err
	}
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	token := pick(a.token, a.env.Getenv(envToken), cfg.Token)
	if token == "" && cfg.TokenFile != "" {
		data, err := os.ReadFile(cfg.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("error reading the token file %s named by the config file: %w; run `caravan login` again", cfg.TokenFile, err)
		}
		token = strings.TrimSpace(string(data))
	}
	if token == "" {
		return nil, usagef("no token: pass --token, set %s, or run `caravan login`", envToken)
	}
	sub := pick(a.subscription, a.env.Getenv(envSubscription), cfg.Subscription)
	if sub != "" {
		if err := client.CheckScope("subscription", sub); err != nil {
			return nil, usagef("--subscription: %v", err)
		}
	}
	if rg := a.group(cfg); rg != "" {
		if err := client.CheckScope("resource group", rg); err != nil {
			return nil, usagef("--resource-group (-g): %v", err)
		}
	}
	addr := pick(a.server, a.env.Getenv(envAddr), cfg.Server, "http://"+server.DefaultAddr)
	c, err := client.New(client.Config{
		URL:           addr,
		Token:         token,
		Subscription:  sub,
		ResourceGroup: a.group(cfg),
		UserAgent:     "caravan-cli",
	})
	if err != nil {
		return nil, usagef("%v", err)
	}
	return c, nil
}

func (a *app) group(cfg fileConfig) string {
	return pick(a.resourceGroup, a.env.Getenv(envResourceGroup), cfg.ResourceGroup)
}

// fleetRef is the fleet the command works on; the resource group and the
// fleet name are required.
// fleetClient builds the client and the fleet named name in the
// resource group of -g.
func (a *app) fleetClient(name string) (*client.Client, fleet.FleetRef, error) {
	cl, err := a.client()
	if err != nil {
		return nil, fleet.FleetRef{}, err
	}
	ref, err := a.fleetRef(cl, name)
	return cl, ref, err
}

func (a *app) fleetRef(c *client.Client, name string) (fleet.FleetRef, error) {
	if c.ResourceGroup() == "" {
		return fleet.FleetRef{}, usagef("missing --resource-group (-g): name the fleet's resource group (or set %s, or run `caravan login --resource-group`)", envResourceGroup)
	}
	if name == "" {
		return fleet.FleetRef{}, usagef("missing --fleet-name (-f): name the fleet")
	}
	if err := client.CheckName("fleet", name); err != nil {
		return fleet.FleetRef{}, usagef("--fleet-name (-f): %v", err)
	}
	return fleet.FleetRef{Subscription: c.Subscription(), ResourceGroup: c.ResourceGroup(), Fleet: name}, nil
}

// need fails with a usage error naming a required flag left empty.
func need(cmd *cobra.Command, flag, value, what string) error {
	if value != "" {
		return nil
	}
	f := cmd.Flags().Lookup(flag)
	if f != nil && f.Shorthand != "" {
		return usagef("missing --%s (-%s): %s", flag, f.Shorthand, what)
	}
	return usagef("missing --%s: %s", flag, what)
}

func (a *app) checkOutput() error {
	switch a.output {
	case "", "table", "json", "yaml":
		return nil
	}
	return usagef("--output %q is not a format: use table, json or yaml", a.output)
}

func fixedCompletion(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}
