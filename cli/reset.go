package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/server"
)

func (a *app) resetCmd() *cobra.Command {
	var dir string
	var yes bool
	c := &cobra.Command{
		Use:   "reset",
		Short: "Delete a server's data directory, to start again from nothing",
		Long: `Delete what caravan serve keeps in its data directory (default
./caravan-data): the SQLite database with every fleet, member, strategy and
update run, and the admin token generated at the first start. The next
caravan serve starts empty. Other files in the directory are left alone.

It refuses while a server uses the directory: stop the server first
(Ctrl-C where it runs, or kill %1 when it was started in the background
with &). A PostgreSQL store (--db) is not touched.

Nothing is deleted without --yes; without it, reset lists what it would
delete.`,
		Example: `  # See what would go, then delete it
  caravan reset
  caravan reset --yes

  # A server started with --data /tmp/try
  caravan reset --data /tmp/try --yes`,
		Args: noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			if _, err := os.Stat(dir); os.IsNotExist(err) {
				fmt.Fprintf(out, "Nothing to reset: %s does not exist.\n", dir)
				return nil
			}
			if !yes {
				var found []string
				for _, name := range server.DataFiles {
					if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
						found = append(found, filepath.Join(dir, name))
					}
				}
				if len(found) == 0 {
					fmt.Fprintf(out, "Nothing to reset: %s holds no caravan data.\n", dir)
					return nil
				}
				return usagef("caravan reset would delete:\n  %s\nRun it again with --yes to delete them", strings.Join(found, "\n  "))
			}
			deleted, left, err := server.ResetDataDir(dir)
			if err != nil {
				return err
			}
			for _, p := range deleted {
				fmt.Fprintf(out, "Deleted %s\n", p)
			}
			if len(left) > 0 {
				fmt.Fprintf(out, "Left %s, which caravan did not write.\n", strings.Join(left, ", "))
			}
			if len(deleted) == 0 {
				fmt.Fprintf(out, "Nothing to reset: %s holds no caravan data.\n", dir)
				return nil
			}
			fmt.Fprintln(out, "The next caravan serve starts empty.")
			return nil
		},
	}
	c.Flags().StringVar(&dir, "data", server.DefaultDataDir, "the server's data directory")
	c.Flags().BoolVar(&yes, "yes", false, "delete without asking again")
	return c
}
