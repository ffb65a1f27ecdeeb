//go:build unix && !linux

package pgtest

import "syscall"

// processAttrs runs a cluster process as owner (nil: as the current user).
func processAttrs(owner *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: owner}
}
