package cli

import (
	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/client"
)

// needName fails with a usage error naming the flag when a required
// resource name is missing or is not a valid name for its kind (noun:
// fleet, member, update strategy, update run). Nothing is sent then: a
// name such as ".." must never reach a path.
func needName(cmd *cobra.Command, flag, value, noun string) error {
	if err := need(cmd, flag, value, "name the "+noun); err != nil {
		return err
	}
	return checkName(cmd, flag, value, noun)
}

// checkName checks a resource name given with a flag.
func checkName(cmd *cobra.Command, flag, value, noun string) error {
	if err := client.CheckName(noun, value); err != nil {
		return usagef("%s: %v", flagName(cmd, flag), err)
	}
	return nil
}

// flagName spells a flag for messages: --name (-n).
func flagName(cmd *cobra.Command, flag string) string {
	if f := cmd.Flags().Lookup(flag); f != nil && f.Shorthand != "" {
		return "--" + flag + " (-" + f.Shorthand + ")"
	}
	return "--" + flag
}
