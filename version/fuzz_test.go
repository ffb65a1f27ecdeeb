package version_test

import (
	"testing"

	"github.com/caravan-dev/caravan/version"
)

// FuzzParse checks that parsing never panics and that what parses prints
// back to something that parses to the same version.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"1.30", "1.30.4", "v1.31.2", "01.2", "1..2", "AKSUbuntu-2204gen2containerd-202410.15.0", "AKSWindows-2022-containerd-20348.2849.241109", "-", "a-", "a-1.x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := version.ParseKubernetes(s); err == nil {
			w, err := version.ParseKubernetes(v.String())
			if err != nil || w.Compare(v) != 0 {
				t.Fatalf("%q parsed to %v, which does not round-trip", s, v)
			}
		}
		if img, err := version.ParseNodeImage(s); err == nil {
			again, err := version.ParseNodeImage(img.String())
			if err != nil || again.Compare(img) != 0 {
				t.Fatalf("%q parsed to %v, which does not round-trip", s, img)
			}
		}
	})
}
