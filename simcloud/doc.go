// Package simcloud is a simulated Azure cloud that serves the part of the
// Microsoft.ContainerService resource provider that Kubernetes upgrades
// use: managed clusters, their agent pools, upgrade profiles, the
// per-region Kubernetes version list and the long-running operations
// behind every change.
//
// It speaks ARM's wire format closely enough that Azure's Go SDK
// (armcontainerservice v6) and its pollers drive it unchanged, so the same
// AKS provider code runs against real Azure and against the simulator.
// Behind the API sits a region-by-region catalog of Kubernetes versions
// and node images, AKS's upgrade rules (no downgrades, no skipped minor
// versions, node pools within three minors below the control plane, one
// operation at a time per cluster) and operations that take realistic,
// scalable time.
//
// A Cloud is an http.Handler. Besides the ARM paths it serves a small JSON
// API under /simulator/ to inspect the operations it ran, read and extend
// the catalog, and seed a fleet of clusters. Clusters can also be created
// in-process with CreateCluster, which is how benchmarks seed tens of
// thousands of them. Operations complete lazily when anything looks at
// their cluster, so idle clusters cost no goroutines and no timers.
//
// docs/simulator.md describes the behaviour in full.
package simcloud
