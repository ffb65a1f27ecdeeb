// Package cluster is the seam between caravan's engine and the clouds that
// run member clusters. A Provider describes a cluster (its region, versions,
// node pools and what its region offers) and upgrades it under an
// operation id that the engine records before asking.
//
// Providers live in their own packages (aks for Azure Kubernetes Service
// and the simulated cloud, fake for tests); all of them pass the checks in
// clustertest.
package cluster
