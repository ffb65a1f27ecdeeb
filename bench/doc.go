// Package bench measures caravan's orchestration: how long update runs
// take next to the shortest time their strategy allows, how much CPU and
// memory the engine spends, and how the API answers while a large run
// goes on.
//
// Each scenario starts a real caravan server in the process (the engine,
// the Fleet API and a SQLite or PostgreSQL store) hosting a simulated AKS
// cloud, so every upgrade goes from the engine through the AKS provider
// and Azure's SDK over loopback HTTP to the simulated cloud, as it would
// against Azure. Clusters are seeded straight into the simulated cloud;
// fleets, members and runs are created through the Fleet API. Only the
// runs are measured: each from the engine's acceptance of its start to
// the arrival, through the server's feed, of the committed write of its
// completion.
//
// Run executes scenarios and prints one JSON object per scenario on
// stdout and a table on stderr; Scenarios lists them. WriteMarkdown
// writes docs/benchmarks.md from the results, with the targets met or
// not; PageCommand is the command that regenerates it.
package bench
