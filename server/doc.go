// Package server assembles caravan serve: it opens the store, builds the
// cluster provider (the AKS provider, pointed at Azure, at a simulated
// cloud elsewhere, or at the simulated cloud it hosts itself), starts the
// engine and serves the Fleet API behind bearer-token authentication, with
// health endpoints, request logs and a graceful shutdown that leaves runs
// resumable.
package server
