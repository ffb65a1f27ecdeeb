package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestEveryCommandHasHelpWithExamples walks the command tree: every
// command has a short description and examples, and --help works.
func TestEveryCommandHasHelpWithExamples(t *testing.T) {
	env := Env{}
	env.defaults()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Short == "" || c.Example == "" {
			t.Errorf("%s: short %q, example %q", c.CommandPath(), c.Short, c.Example)
		}
		args := append(strings.Fields(c.CommandPath())[1:], "--help")
		r := runWith(t, nil, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:") {
			t.Errorf("%s --help: exit %d\n%s%s", c.CommandPath(), r.code, r.stdout, r.stderr)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot(&env))
}

func TestUsageExitCodes(t *testing.T) {
	for _, args := range [][]string{{"bogus"}, {"fleet", "bogus"}, {"--bogus"}, {"updaterun", "show", "-n"}} {
		if r := runWith(t, nil, args...); r.code != ExitUsage {
			t.Errorf("%v: exit %d %s", args, r.code, r.stderr)
		}
	}
	if r := runWith(t, nil); r.code != 0 || !strings.Contains(r.stdout, "caravan demo") {
		t.Errorf("no arguments: exit %d\n%s", r.code, r.stdout)
	}
	if r := runWith(t, nil, "completion", "bash"); r.code != 0 || !strings.Contains(r.stdout, "complete -o default") {
		t.Errorf("completion: exit %d", r.code)
	}
}
