package cli

import (
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// terminal reports whether w is a terminal, and its size when known.
func terminal(w io.Writer) (width, height int, ok bool) {
	f, isFile := w.(*os.File)
	if !isFile || !(isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())) {
		return 0, 0, false
	}
	width, height = terminalSize(f)
	return width, height, true
}
