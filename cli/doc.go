// Package cli is the caravan command line: the cobra command tree whose
// verbs mirror `az fleet` (fleet, member, updatestrategy, updaterun), the
// server commands (serve, simulate), login and token helpers, and the
// one-command demo.
//
// Every resource command goes through the typed API client (package
// client) and writes to the writers of its Env, so tests run commands
// in-process against a real server. Output is a readable table by default,
// or JSON or YAML with -o. docs/cli.md describes the commands, the
// configuration precedence and the exit codes.
package cli
