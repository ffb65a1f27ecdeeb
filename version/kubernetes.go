package version

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Kubernetes is a parsed Kubernetes version. Patch is -1 when the version
// names only a minor release ("1.30"), which means "the newest 1.30 patch".
type Kubernetes struct {
	Major, Minor, Patch int
}

// ParseKubernetes parses "1.30" or "1.30.4" (an optional leading "v" is
// accepted). Anything else is an error that says what was expected.
func ParseKubernetes(s string) (Kubernetes, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	parts := strings.Split(t, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Kubernetes{}, fmt.Errorf("%q is not a Kubernetes version: want MAJOR.MINOR or MAJOR.MINOR.PATCH, such as 1.30 or 1.30.4", s)
	}
	nums := make([]int, 3)
	nums[2] = -1
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || len(p) > 6 || (len(p) > 1 && p[0] == '0') {
			return Kubernetes{}, fmt.Errorf("%q is not a Kubernetes version: %q is not a number; want MAJOR.MINOR or MAJOR.MINOR.PATCH, such as 1.30 or 1.30.4", s, p)
		}
		nums[i] = n
	}
	return Kubernetes{Major: nums[0], Minor: nums[1], Patch: nums[2]}, nil
}

// MustKubernetes is ParseKubernetes for constants; it panics on bad input.
func MustKubernetes(s string) Kubernetes {
	v, err := ParseKubernetes(s)
	if err != nil {
		panic(err)
	}
	return v
}

// HasPatch reports whether the version names an exact patch release.
func (v Kubernetes) HasPatch() bool { return v.Patch >= 0 }

// String formats the version as "1.30" or "1.30.4".
func (v Kubernetes) String() string {
	if v.Patch < 0 {
		return fmt.Sprintf("%d.%d", v.Major, v.Minor)
	}
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// MinorString formats the minor release, "1.30".
func (v Kubernetes) MinorString() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Compare orders versions; a minor-only version sorts before its patches.
func (v Kubernetes) Compare(w Kubernetes) int {
	if c := compareInt(v.Major, w.Major); c != 0 {
		return c
	}
	if c := compareInt(v.Minor, w.Minor); c != 0 {
		return c
	}
	return compareInt(v.Patch, w.Patch)
}

// SameMinor reports whether both versions belong to one minor release.
func (v Kubernetes) SameMinor(w Kubernetes) bool { return v.Major == w.Major && v.Minor == w.Minor }

// MinorsBetween counts the minor releases from v up to w (negative when w
// is older). It assumes one major version, as Kubernetes has had since 1.0.
func (v Kubernetes) MinorsBetween(w Kubernetes) int {
	return (w.Major-v.Major)*1000 + (w.Minor - v.Minor)
}

// Matches reports whether the exact version v satisfies the request r:
// equal to it when r has a patch, in its minor release when it does not.
func (v Kubernetes) Matches(r Kubernetes) bool {
	if r.HasPatch() {
		return v.Compare(r) == 0
	}
	return v.SameMinor(r)
}

// Resolve picks the version that satisfies the request r from the offered
// exact versions: r itself if offered, or the newest patch of r's minor.
// It reports false when nothing offered satisfies r.
func Resolve(r Kubernetes, offered []string) (Kubernetes, bool) {
	var best Kubernetes
	found := false
	for _, s := range offered {
		v, err := ParseKubernetes(s)
		if err != nil || !v.HasPatch() || !v.Matches(r) {
			continue
		}
		if !found || v.Compare(best) > 0 {
			best, found = v, true
		}
	}
	return best, found
}

// SortKubernetes sorts version strings oldest first; strings that do not
// parse sort last in their original order.
func SortKubernetes(vs []string) {
	slices.SortStableFunc(vs, func(a, b string) int {
		va, ea := ParseKubernetes(a)
		vb, eb := ParseKubernetes(b)
		switch {
		case ea != nil && eb != nil:
			return 0
		case ea != nil:
			return 1
		case eb != nil:
			return -1
		}
		return va.Compare(vb)
	})
}

func compareInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
