package clustertest

import (
	"testing"
)

// check is one conformance check.
type check struct {
	name string
	run  func(t *testing.T, e Env, p picks)
}

var checks = []check{
	{"DescribeReportsClusterAndOffers", describeCluster},
	{"DescribeReportsMaintenanceWindows", describeWindows},
	{"DescribeMissingClusterIsNotFound", describeMissing},
	{"MalformedClusterIDIsAnError", malformedID},
	{"ControlPlaneOnly", controlPlaneOnly},
	{"FullWithLatestImages", fullLatest},
	{"FullWithPinnedImages", fullPinned},
	{"NodeImageOnlyWithLatestImages", nodeImageLatest},
	{"NodeImageOnlyWithPinnedImages", nodeImagePinned},
	{"SameIDBeginsOnce", sameIDBeginsOnce},
	{"BusyWhileAnotherOperationRuns", busy},
	{"DowngradeIsRejected", downgrade},
	{"SkippedMinorIsRejected", skippedMinor},
	{"UpgradeMissingClusterIsNotFound", upgradeMissing},
	{"FailureReportedThroughDone", failure},
}

// Run runs every conformance check against a fresh Env from newEnv. The
// checks run in parallel.
func Run(t *testing.T, newEnv func(t *testing.T) Env) {
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			c.run(t, e, choose(t, e.Cloud.Region()))
		})
	}
}
