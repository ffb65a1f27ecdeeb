package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/client"
)

func (a *app) loginCmd() *cobra.Command {
	var serverURL, token, tokenFile, subscription, group string
	c := &cobra.Command{
		Use:   "login",
		Short: "Save the server address, token and defaults to the config file",
		Long: `Save the server's address and the token to use (or a file holding it), and
optionally a default subscription and resource group, in the config file
(mode 0600): $CARAVAN_CONFIG, or caravan/config.yaml in the user config
directory. Flags and environment variables still take precedence.

login checks the token against the server first.`,
		Example: `  caravan login --server http://127.0.0.1:8080 --token "$TOKEN" --resource-group prod
  caravan login --server https://caravan.example.com --token-file caravan-data/admin-token
  echo "$TOKEN" | caravan login --server http://127.0.0.1:8080 --token -`,
		Args: noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := need(cmd, "server", serverURL, "give the caravan server's URL, such as http://127.0.0.1:8080"); err != nil {
				return err
			}
			if (token == "") == (tokenFile == "") {
				return usagef("give --token or --token-file (one of them)")
			}
			u, err := client.ParseURL(serverURL)
			if err != nil {
				return usagef("--server: %v", err)
			}
			cfg := fileConfig{Server: u.String(), Subscription: subscription, ResourceGroup: group}
			secret := token
			switch {
			case token == "-":
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && line == "" {
					return errors.New("no token on standard input")
				}
				secret = strings.TrimSpace(line)
				cfg.Token = secret
			case token != "":
				cfg.Token = token
			default:
				abs, err := filepath.Abs(tokenFile)
				if err != nil {
					return fmt.Errorf("error resolving %s: %w", tokenFile, err)
				}
				data, err := os.ReadFile(abs)
				if err != nil {
					return fmt.Errorf("error reading the token file: %w", err)
				}
				secret = strings.TrimSpace(string(data))
				cfg.TokenFile = abs
			}
			if secret == "" {
				return usagef("the token is empty")
			}
			cl, err := client.New(client.Config{URL: cfg.Server, Token: secret, Subscription: subscription, UserAgent: "caravan-cli"})
			if err != nil {
				return usagef("%v", err)
			}
			_, err = cl.ListFleets(cmd.Context(), "", "")
			var ue *client.UnreachableError
			switch {
			case errors.As(err, &ue):
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s; saving the settings anyway\n", describe(err))
			case err != nil:
				return err
			}
			path, err := a.env.configPath()
			if err != nil {
				return err
			}
			if err := saveConfig(path, cfg); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Saved the settings for %s in %s.\n", cfg.Server, path)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&serverURL, "server", "", "the caravan server's URL")
	f.StringVar(&token, "token", "", "bearer token to save (- reads it from standard input)")
	f.StringVar(&tokenFile, "token-file", "", "file holding the bearer token, such as the admin-token file in serve's data directory; its path is saved, not the token")
	f.StringVar(&subscription, "subscription", "", "default subscription")
	f.StringVarP(&group, "resource-group", "g", "", "default resource group")
	return c
}
