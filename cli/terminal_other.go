//go:build !unix

package cli

import "os"

// terminalSize is unknown on this platform.
func terminalSize(*os.File) (width, height int) { return 0, 0 }
