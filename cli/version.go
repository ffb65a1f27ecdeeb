package cli

import (
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// buildInfo is what `caravan version` says of the binary.
type buildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	CommitAt  string `json:"commitTime,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// readBuildInfo reads the module version and the version control
// information the Go toolchain stamped into the binary.
func readBuildInfo(read func() (*debug.BuildInfo, bool)) buildInfo {
	b := buildInfo{Version: "unknown", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := read()
	if !ok {
		return b
	}
	if v := bi.Main.Version; v != "" {
		b.Version = v
	}
	if bi.GoVersion != "" {
		b.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.CommitAt = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

func (b buildInfo) render(w io.Writer) error {
	pairs := [][2]string{{"caravan", b.Version}}
	if b.Commit != "" {
		commit := b.Commit
		if b.Modified {
			commit += " (with uncommitted changes)"
		}
		pairs = append(pairs, [2]string{"commit", commit})
	}
	if b.CommitAt != "" {
		pairs = append(pairs, [2]string{"commit time", b.CommitAt})
	}
	pairs = append(pairs, [2]string{"go", b.GoVersion + " " + b.Platform})
	return fields(w, pairs...)
}

func (a *app) versionCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "version",
		Short: "Show caravan's version, commit and Go version",
		Long: `Show the version of this caravan binary: its module version ("(devel)"
when built from a checkout), the commit it was built from and whether the
checkout had uncommitted changes (when built with go build in a git
checkout), and the Go version and platform.`,
		Example: `  caravan version
  caravan version -o json`,
		Args: noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.checkOutput(); err != nil {
				return err
			}
			b := readBuildInfo(debug.ReadBuildInfo)
			return a.emit(cmd.OutOrStdout(), b, b.render)
		},
	}
	c.Flags().StringVarP(&a.output, "output", "o", "table", "output format: table, json or yaml")
	return c
}
