// Package version parses and orders the two kinds of version caravan moves
// clusters between: Kubernetes versions ("1.30" or "1.30.4") and AKS node
// image versions ("AKSUbuntu-2204gen2containerd-202410.15.0", an image
// family, a dash and a dated release).
package version
