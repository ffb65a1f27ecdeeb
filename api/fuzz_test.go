package api

import (
	"testing"

	"github.com/caravan-dev/caravan/fleet"
)

// FuzzDecode checks that no request body makes decoding panic, and that a
// body decode accepts decodes again the same way.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"location":"eastus","tags":{"a":"b"}}`,
		`{"properties":{"strategy":{"stages":[{"name":"s","groups":[{"name":"g","maxConcurrency":"2"}],"afterStageWaitInSeconds":3}]}}}`,
		`{"properties":{"managedClusterUpdate":{"upgrade":{"type":"Full"}},"status":{"stages":[{"groups":[{"members":[{"status":{"state":"Running"}}]}]}]}}}`,
		`{"targets":[{"type":"Member","name":"m"}]}`,
		`{"properties":{"strategy":{"stages":[{"afterStageWaitInSeconds":1e99}]}}}`,
		`[]`, `null`, `{"a":`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var run fleet.UpdateRun
		if decode(body, &run) == nil {
			var again fleet.UpdateRun
			if err := decode(body, &again); err != nil {
				t.Fatalf("accepted once, refused again: %v", err)
			}
		}
		var fb fleetBody
		_ = decode(body, &fb)
		var m fleet.Member
		_ = decode(body, &m)
		var skip fleet.SkipProperties
		_ = decode(body, &skip)
	})
}
