package engine_test

import "github.com/caravan-dev/caravan/cluster/fake"

func fakeRegion(versions []string, images map[string]string) fake.Region {
	if images == nil {
		images = map[string]string{ubuntu: ubuntu + "-202410.15.0", azl: azl + "-202410.27.0"}
	}
	return fake.Region{Versions: versions, Images: images}
}
