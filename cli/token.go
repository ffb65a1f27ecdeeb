package cli

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caravan-dev/caravan/auth"
)

func (a *app) tokenCmd() *cobra.Command {
	return group("token", "Make tokens and their hashes for token files", `  caravan token generate --name ci --role operator
  caravan token hash "$TOKEN"`, a.tokenGenerateCmd(), a.tokenHashCmd())
}

func (a *app) tokenGenerateCmd() *cobra.Command {
	var name, role string
	c := &cobra.Command{
		Use:   "generate",
		Short: "Print a new random token and its hash",
		Long: `Print a new random token and its SHA-256 hash. Give the token to the caller;
put only the hash in the server's token file (serve --token-file), with the
caller's name and role (reader, operator or admin).`,
		Example: `  caravan token generate
  caravan token generate --name ci --role operator >> entry.txt`,
		Args: noArgs(""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := auth.ParseRole(role); err != nil {
				return usagef("--role: %v", err)
			}
			token := auth.NewToken()
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "token:  %s\nsha256: %s\n\n", token, auth.Hash(token))
			fmt.Fprintf(w, "Token file entry (keep the token itself secret):\n\ntokens:\n  - name: %s\n    role: %s\n    sha256: %s\n", name, strings.ToLower(role), auth.Hash(token))
			return nil
		},
	}
	c.Flags().StringVar(&name, "name", "caller", "name of the caller, for the token file entry")
	c.Flags().StringVar(&role, "role", "operator", "role of the caller: reader, operator or admin")
	c.RegisterFlagCompletionFunc("role", fixedCompletion("reader", "operator", "admin"))
	return c
}

func (a *app) tokenHashCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "hash TOKEN",
		Short: "Print the SHA-256 hash of a token, as token files keep it",
		Example: `  caravan token hash cvn_abc123
  caravan token hash - < token.txt`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("give exactly one token (or - to read it from standard input)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			token := args[0]
			if token == "-" {
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && err != io.EOF {
					return fmt.Errorf("error reading the token: %w", err)
				}
				token = strings.TrimSpace(line)
			}
			if token == "" {
				return usagef("the token is empty")
			}
			fmt.Fprintln(cmd.OutOrStdout(), auth.Hash(token))
			return nil
		},
	}
}
