package simcloud

import "slices"

// The node image families the default catalog publishes, and the OS type
// and SKU of the node pools that run them.
const (
	FamilyUbuntu2204  = "AKSUbuntu-2204gen2containerd"
	FamilyAzureLinux3 = "AKSAzureLinux-V3gen2"
	FamilyWindows2022 = "AKSWindows-2022-containerd"
)

// defaultKubernetesVersions are five consecutive minors with several
// patches each, oldest first.
var defaultKubernetesVersions = []string{
	"1.29.9", "1.29.11", "1.29.13", "1.29.15",
	"1.30.5", "1.30.7", "1.30.9", "1.30.11",
	"1.31.2", "1.31.4", "1.31.6", "1.31.8",
	"1.32.0", "1.32.2", "1.32.4", "1.32.6",
	"1.33.0", "1.33.1", "1.33.2",
}

// Node image releases, oldest first. Linux images carry a dated release
// (YYYYMM.DD.build); Windows images the OS build and a date.
var (
	defaultLinuxReleases   = []string{"202501.12.0", "202502.09.0", "202503.18.0", "202504.16.0", "202505.14.0"}
	defaultWindowsReleases = []string{"20348.3091.250114", "20348.3207.250211", "20348.3328.250311", "20348.3453.250415", "20348.3561.250513"}
)

// defaultRegion describes how far a region has got: how many node image
// releases it has published (per family group) and which Kubernetes
// patches it does not offer yet.
type defaultRegion struct {
	name            string
	linuxReleases   int
	windowsReleases int
	missingVersions []string
}

var defaultRegions = []defaultRegion{
	{name: "eastus", linuxReleases: 5, windowsReleases: 5},
	{name: "westus2", linuxReleases: 5, windowsReleases: 5},
	{name: "westeurope", linuxReleases: 4, windowsReleases: 4},
	{name: "northeurope", linuxReleases: 4, windowsReleases: 5},
	{name: "japaneast", linuxReleases: 4, windowsReleases: 4, missingVersions: []string{"1.33.2"}},
	{name: "southeastasia", linuxReleases: 3, windowsReleases: 3, missingVersions: []string{"1.33.2"}},
	{name: "australiaeast", linuxReleases: 3, windowsReleases: 4, missingVersions: []string{"1.33.1", "1.33.2"}},
}

// DefaultCatalog returns the catalog a Cloud starts with when Options
// leaves it out: Kubernetes 1.29 to 1.33 with several patches each, and
// Ubuntu 22.04, Azure Linux 3 and Windows Server 2022 node images, in
// seven regions. Regions differ: eastus and westus2 have every node image
// release, westeurope one fewer, southeastasia two fewer; the newest 1.33
// patch is not yet in japaneast, southeastasia or australiaeast.
func DefaultCatalog() Catalog {
	var c Catalog
	for _, d := range defaultRegions {
		r := RegionCatalog{Name: d.name}
		for _, v := range defaultKubernetesVersions {
			if !slices.Contains(d.missingVersions, v) {
				r.KubernetesVersions = append(r.KubernetesVersions, v)
			}
		}
		for _, rel := range defaultLinuxReleases[:d.linuxReleases] {
			r.NodeImages = append(r.NodeImages, FamilyUbuntu2204+"-"+rel, FamilyAzureLinux3+"-"+rel)
		}
		for _, rel := range defaultWindowsReleases[:d.windowsReleases] {
			r.NodeImages = append(r.NodeImages, FamilyWindows2022+"-"+rel)
		}
		c.Regions = append(c.Regions, r)
	}
	return c
}
