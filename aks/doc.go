// Package aks is the cluster provider for Azure Kubernetes Service. It
// speaks the Microsoft.ContainerService ARM API (version 2025-02-01)
// through Azure's Go SDK, against real Azure or against any endpoint that
// serves the same API, such as caravan's simulated cloud.
//
// Describe reads a managed cluster, the Kubernetes versions its region
// offers and the newest node image of each pool's image family. Upgrade
// moves a cluster towards a target by convergence: it observes the
// cluster, begins the one cloud operation that brings it closest to the
// target (the control plane, then each node pool in name order; a Full
// upgrade to the latest node images moves the control plane and every
// pool in one managed cluster PUT, as az aks upgrade does), follows it by
// reading the cluster until the read shows it ended, and decides the next
// step from that read, until nothing is left to do; the last such read is
// the upgrade's end. Because every step
// first checks what is already done, re-attaching to an operation after a
// restart never repeats finished work. The first step may start from the
// cluster a Describe read a moment before, under If-Match with that
// read's eTag, so that the engine's look before an upgrade is not
// repeated and a cluster changed meanwhile is never overwritten.
//
// The endpoint and the credential are configuration: New takes a Config,
// NewFromEnvironment reads CARAVAN_ARM_ENDPOINT, CARAVAN_ARM_TOKEN and the
// other variables described on ConfigFromEnvironment. docs/aks-provider.md
// lists the exact calls each upgrade type makes.
package aks
