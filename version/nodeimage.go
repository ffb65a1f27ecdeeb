package version

import (
	"fmt"
	"strconv"
	"strings"
)

// NodeImage is a parsed AKS node image version such as
// "AKSUbuntu-2204gen2containerd-202410.15.0": the image family
// ("AKSUbuntu-2204gen2containerd") and its release ("202410.15.0"), a
// dotted list of numbers whose first part is the year and month.
type NodeImage struct {
	Family  string
	Release string
	parts   []int
}

// ParseNodeImage splits a node image version at its last dash into family
// and release, and checks the release is dotted numbers.
func ParseNodeImage(s string) (NodeImage, error) {
	i := strings.LastIndexByte(s, '-')
	if i <= 0 || i == len(s)-1 {
		return NodeImage{}, fmt.Errorf("%q is not a node image version: want FAMILY-RELEASE, such as AKSUbuntu-2204gen2containerd-202410.15.0", s)
	}
	img := NodeImage{Family: s[:i], Release: s[i+1:]}
	for _, p := range strings.Split(img.Release, ".") {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || len(p) > 12 {
			return NodeImage{}, fmt.Errorf("%q is not a node image version: release %q must be dotted numbers, such as 202410.15.0", s, img.Release)
		}
		img.parts = append(img.parts, n)
	}
	return img, nil
}

// String reassembles the full version.
func (n NodeImage) String() string { return n.Family + "-" + n.Release }

// Compare orders two releases of the same family by their numbers; images
// of different families compare by family name first.
func (n NodeImage) Compare(m NodeImage) int {
	if n.Family != m.Family {
		return strings.Compare(n.Family, m.Family)
	}
	for i := 0; i < len(n.parts) && i < len(m.parts); i++ {
		if c := compareInt(n.parts[i], m.parts[i]); c != 0 {
			return c
		}
	}
	return compareInt(len(n.parts), len(m.parts))
}

// ImageFamily returns the family of a node image version, or "" when the
// version does not parse.
func ImageFamily(s string) string {
	n, err := ParseNodeImage(s)
	if err != nil {
		return ""
	}
	return n.Family
}

// CompareNodeImages compares two node image version strings; strings that
// do not parse compare as text.
func CompareNodeImages(a, b string) int {
	na, ea := ParseNodeImage(a)
	nb, eb := ParseNodeImage(b)
	if ea != nil || eb != nil {
		return strings.Compare(a, b)
	}
	return na.Compare(nb)
}
