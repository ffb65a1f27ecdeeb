// Package fleet is caravan's domain model: fleets, members, update
// strategies and update runs, shaped and named as Azure Resource Manager
// serves them (Microsoft.ContainerService/fleets, API version 2024-04-01
// and later), so the server can store and return them directly.
//
// It also holds the rules that need no I/O: name and field validation,
// maxConcurrency parsing, freezing a run's member set into its status tree,
// deriving a parent's state from its children, and the errors that map to
// HTTP statuses.
package fleet
