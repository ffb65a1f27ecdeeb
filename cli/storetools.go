package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/server"
	"github.com/caravan-dev/caravan/store"
	"github.com/caravan-dev/caravan/store/postgres"
	"github.com/caravan-dev/caravan/store/sqlite"
	"github.com/caravan-dev/caravan/store/verify"
)

// storeFlags are how check and backup find the store, as serve does.
type storeFlags struct{ data, db string }

func (f *storeFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.data, "data", server.DefaultDataDir, "data directory of the SQLite database (caravan.db), as given to caravan serve")
	c.Flags().StringVar(&f.db, "db", "", "PostgreSQL URL of the database, as given to caravan serve (default $CARAVAN_DB)")
}

func (f *storeFlags) resolve(a *app) {
	if f.db == "" {
		f.db = a.env.Getenv("CARAVAN_DB")
	}
}

func (a *app) checkCmd() *cobra.Command {
	var sf storeFlags
	var file string
	c := &cobra.Command{
		Use:   "check",
		Short: "Verify a store: its schema, its integrity and every record in it",
		Long: `Verify the store caravan serve keeps its data in (SQLite in --data, or
PostgreSQL with --db): the schema version, SQLite's own integrity check,
and every record: that its body decodes into its resource, has the id and
name it is stored under, passes caravan's validation, and lives in a fleet
that exists. Each problem is printed with the id of the record.

The server may be running. Like caravan serve, check brings an older
schema up to date; it refuses a file that is not a caravan database.

Exit status: 0 when the store is sound, 6 when problems were found, 1 when
the store could not be read.`,
		Example: `  # The SQLite store in the default data directory
  caravan check

  # A backup, before restoring it
  caravan check --file /backups/caravan-2026-01-31.db

  # A PostgreSQL store
  caravan check --db "$CARAVAN_DB"`,
		Args: noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			sf.resolve(a)
			ctx := cmd.Context()
			var s store.Store
			var err error
			switch {
			case file != "" && sf.db != "":
				return usagef("give either --file or --db, not both")
			case file != "":
				s, err = sqlite.OpenExisting(ctx, file)
			case sf.db != "":
				s, err = postgres.Open(ctx, sf.db)
			default:
				s, err = sqlite.OpenExisting(ctx, filepath.Join(sf.data, sqlite.FileName))
			}
			if err != nil {
				return err
			}
			defer s.Close()
			rep, err := verify.Store(ctx, s)
			if err != nil {
				return fmt.Errorf("error checking %s: %w", store.Name(s), err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "store:     %s\n", rep.Store)
			if rep.Known > 0 {
				fmt.Fprintf(out, "schema:    version %d (this caravan knows up to %d)\n", rep.Schema, rep.Known)
			}
			if rep.Integrity {
				fmt.Fprintln(out, "integrity: checked")
			}
			fmt.Fprintf(out, "records:   %s\n", rep.Summary())
			if len(rep.Problems) == 0 {
				fmt.Fprintln(out, "problems:  none")
				return nil
			}
			fmt.Fprintf(out, "problems:  %d\n", len(rep.Problems))
			for _, p := range rep.Problems {
				fmt.Fprintf(out, "  %s\n", p)
			}
			return &exitError{code: ExitCheckFailed, msg: fmt.Sprintf("%s has %d %s; repair them (delete the records named, or restore a backup; see docs/storage.md)", rep.Store, len(rep.Problems), pluralize(len(rep.Problems), "problem", "problems"))}
		},
	}
	sf.add(c)
	c.Flags().StringVar(&file, "file", "", "SQLite database file to check instead of the one in --data (a backup, say)")
	return c
}

func pluralize(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (a *app) backupCmd() *cobra.Command {
	var sf storeFlags
	var to string
	c := &cobra.Command{
		Use:   "backup --to FILE",
		Short: "Copy the SQLite store to a new file, consistently, while caravan runs",
		Long: `Copy the SQLite database in --data to a new file (mode 0600) with SQLite's
VACUUM INTO: a consistent snapshot, taken while caravan serve may be
running and writing, compacted, and checked for integrity once written.
An existing file is never overwritten.

To restore, check the copy (caravan check --file FILE), stop caravan, put
the copy in place as caravan.db, delete any caravan.db-wal and
caravan.db-shm next to it, and start caravan.

A PostgreSQL store (--db) is backed up with PostgreSQL's own tools; for
it, backup prints how and exits with status 2.`,
		Example: `  # Back up the store of a running server
  caravan backup --data /var/lib/caravan --to /backups/caravan-$(date +%F).db`,
		Args: noArgs("give the file with --to"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			sf.resolve(a)
			if sf.db != "" {
				return usagef("caravan backup copies SQLite stores; back up a PostgreSQL store with pg_dump:\n" +
					"  pg_dump --format=custom --file=caravan.dump \"$CARAVAN_DB\"\n" +
					"and restore it, with every caravan server stopped, with:\n" +
					"  pg_restore --clean --if-exists --dbname=\"$CARAVAN_DB\" caravan.dump\n" +
					"(add -t 'caravan_*' to pg_dump when the database holds other applications' tables; see docs/operations.md)")
			}
			if strings.TrimSpace(to) == "" {
				return usagef("give the file to write the backup to with --to")
			}
			from := filepath.Join(sf.data, sqlite.FileName)
			res, err := sqlite.Backup(cmd.Context(), from, to)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Backed up %s to %s: %d %s, %d bytes\n", from, to, res.Records, pluralize(res.Records, "record", "records"), res.Bytes)
			return nil
		},
	}
	sf.add(c)
	c.Flags().StringVar(&to, "to", "", "file to write the backup to; it must not exist")
	return c
}
