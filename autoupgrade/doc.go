// Package autoupgrade keeps fleets current from auto-upgrade profiles:
// the pure choice of what a channel takes from the cloud's catalogs
// (channel.go), and the trigger service that notices new releases and
// creates and starts a profile's run once per release (trigger.go).
package autoupgrade
