// Command caravan is caravan's server and command line: caravan serve runs
// the server, caravan demo shows a simulated fleet upgrade, and the fleet,
// member, updatestrategy and updaterun commands drive a server. Run
// caravan --help, or see docs/cli.md.
package main

import (
	"os"

	"github.com/caravan-dev/caravan/cli"
)

func main() {
	os.Exit(cli.Main())
}
