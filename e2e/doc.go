// Package e2e holds tests that run the caravan binary itself, as users
// and automated checks do: separate processes, real ports, real signals;
// and the matrix of upgrade types and node image selections, run through
// the engine, the AKS provider and the simulated cloud over loopback HTTP
// and checked against what the cloud shows.
package e2e
