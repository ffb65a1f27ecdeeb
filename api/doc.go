// Package api serves caravan's Fleet API: fleets, members, update
// strategies and update runs at Azure Resource Manager paths, in the JSON
// of each Microsoft.ContainerService api-version from 2023-03-15-preview
// on, so that Azure's own SDKs and tools can drive caravan. Responses are
// shaped, and requests checked, by one table of which version defines
// which field (fields.go). docs/api.md lists the paths, the api-versions
// and where caravan differs from Azure.
//
// Reads come from the store; changes to a run's progress (start, stop,
// skip) go through the engine, which owns a run's status.
package api
