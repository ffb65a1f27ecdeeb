//go:build !unix

package server

// lockDataDir does nothing where advisory file locks are not available:
// the data directory is not guarded against a second server there.
func lockDataDir(string) (func(), error) { return func() {}, nil }
