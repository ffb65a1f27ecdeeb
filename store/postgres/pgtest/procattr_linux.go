package pgtest

import "syscall"

// processAttrs runs a cluster process as owner (nil: as the current user)
// and has the kernel stop it if the test binary dies first.
func processAttrs(owner *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: owner, Pdeathsig: syscall.SIGQUIT}
}
