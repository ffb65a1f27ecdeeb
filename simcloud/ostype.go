package simcloud

import (
	"fmt"
	"strings"
)

// OS types and SKUs a node pool may have.
const (
	OSTypeLinux   = "Linux"
	OSTypeWindows = "Windows"

	OSSKUUbuntu      = "Ubuntu"
	OSSKUAzureLinux  = "AzureLinux"
	OSSKUCBLMariner  = "CBLMariner"
	OSSKUWindows2022 = "Windows2022"
	OSSKUWindows2019 = "Windows2019"
)

// canonicalOSType returns "Linux" or "Windows" ("" defaults to Linux).
func canonicalOSType(s string) (string, error) {
	switch {
	case s == "" || strings.EqualFold(s, OSTypeLinux):
		return OSTypeLinux, nil
	case strings.EqualFold(s, OSTypeWindows):
		return OSTypeWindows, nil
	}
	return "", fmt.Errorf("%q is not an OS type; want Linux or Windows", s)
}

// canonicalOSSKU checks the SKU fits the OS type and fills the default:
// Ubuntu for Linux, Windows2022 for Windows.
func canonicalOSSKU(osType, sku string) (string, error) {
	linux := []string{OSSKUUbuntu, OSSKUAzureLinux, OSSKUCBLMariner}
	windows := []string{OSSKUWindows2022, OSSKUWindows2019}
	allowed := linux
	if osType == OSTypeWindows {
		allowed = windows
	}
	if sku == "" {
		return allowed[0], nil
	}
	for _, a := range allowed {
		if strings.EqualFold(a, sku) {
			return a, nil
		}
	}
	return "", fmt.Errorf("%q is not an OS SKU for %s node pools; want one of %s", sku, osType, strings.Join(allowed, ", "))
}

// imageFamily is the node image family a pool of this OS type and SKU
// runs. Windows Server 2019 has no family in the catalog, so pools of it
// cannot be created.
func imageFamily(osType, sku string) string {
	switch sku {
	case OSSKUUbuntu:
		return FamilyUbuntu2204
	case OSSKUAzureLinux, OSSKUCBLMariner:
		return FamilyAzureLinux3
	case OSSKUWindows2022:
		return FamilyWindows2022
	case OSSKUWindows2019:
		return "AKSWindows-2019-containerd"
	}
	if osType == OSTypeWindows {
		return FamilyWindows2022
	}
	return FamilyUbuntu2204
}

// canonicalMode returns "System" or "User".
func canonicalMode(s, fallback string) (string, error) {
	switch {
	case s == "":
		return fallback, nil
	case strings.EqualFold(s, "System"):
		return "System", nil
	case strings.EqualFold(s, "User"):
		return "User", nil
	}
	return "", fmt.Errorf("%q is not a node pool mode; want System or User", s)
}
