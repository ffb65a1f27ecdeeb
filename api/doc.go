// Package api serves caravan's Fleet API: fleets, members, update
// strategies and update runs at Azure Resource Manager paths, in the JSON
// of Microsoft.ContainerService API version 2024-04-01 and later, so that
// Azure's own SDKs and tools can drive caravan. docs/api.md lists the
// paths, the api-versions and where caravan differs from Azure.
//
// Reads come from the store; changes to a run's progress (start, stop,
// skip) go through the engine, which owns a run's status.
package api
