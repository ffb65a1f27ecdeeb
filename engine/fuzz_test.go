package engine

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
)

type mapLocks map[string]string

func (l mapLocks) acquire(c, run string) (string, bool) {
	if h, ok := l[c]; ok && h != run {
		return h, false
	}
	l[c] = run
	return run, true
}

func (l mapLocks) release(c, run string) {
	if l[c] == run {
		delete(l, c)
	}
}

// FuzzStoredRun feeds arbitrary stored run documents to the engine's
// decisions: whatever a damaged or hand-edited database holds, preparing,
// starting, stepping, inspecting, finishing, skipping and stopping must
// not panic.
func FuzzStoredRun(f *testing.F) {
	f.Add([]byte(`{"id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerService/fleets/f/updateRuns/r","name":"r","properties":{"strategy":{"stages":[{"name":"s","groups":[{"name":"g","maxConcurrency":"2"}],"afterStageWaitInSeconds":5}]},"managedClusterUpdate":{"upgrade":{"type":"Full","kubernetesVersion":"1.31"},"nodeImageSelection":{"type":"Consistent"}},"status":{"status":{"state":"NotStarted"},"stages":[{"name":"s","status":{"state":"NotStarted"},"groups":[{"name":"g","status":{"state":"NotStarted"},"members":[{"name":"a","clusterResourceId":"c1","status":{"state":"NotStarted"}},{"name":"b","clusterResourceId":"c2","status":{"state":"Running"},"operationId":"x"}]}]}]}}}`), uint8(3))
	f.Add([]byte(`{"properties":{"managedClusterUpdate":{"upgrade":{"type":"NodeImageOnly"},"nodeImageSelection":{"type":"Custom","customNodeImageVersions":[{"version":"A-1"}]}},"status":{"status":{"state":"Stopping"},"stages":[{"name":"s","groups":[]}]}}}`), uint8(0))
	f.Add([]byte(`{"properties":{"managedClusterUpdate":{"upgrade":{"type":"Bogus"}},"status":{"status":{"state":"Failed"},"stages":[{"name":"s","afterStageWaitStatus":{"status":{"state":"Stopped"},"remainingMilliseconds":-5},"groups":[{"name":"g","members":[{"name":"m","status":{"state":"Failed"}}]}]}]}}}`), uint8(9))
	f.Fuzz(func(t *testing.T, doc []byte, choice uint8) {
		var run fleet.UpdateRun
		if json.Unmarshal(doc, &run) != nil {
			return
		}
		n := 0
		rs, err := newRunState(&run, "e", func() string { n++; return "id" }, time.Minute)
		if err != nil {
			return
		}
		locks := mapLocks{}
		rs.now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		_ = rs.start()
		effs, _ := rs.step(locks)
		effs = append(effs, rs.resumeEffects(locks)...)
		c := &cluster.Cluster{Region: "r", KubernetesVersion: "1.30.4", AvailableVersions: []string{"1.31.2"},
			NodePools: []cluster.NodePool{{Name: "p", KubernetesVersion: "1.30.4", NodeImageVersion: "A-1", LatestNodeImageVersion: "A-2"}}}
		for i, ef := range effs {
			rs.now = rs.now.Add(time.Second)
			switch ef.kind {
			case effectSelect:
				rs.onSelected(selectedImages{clusters: []*cluster.Cluster{c}})
			case effectInspect:
				for _, more := range rs.onInspected(inspected{k: ef.k, cluster: c}, locks) {
					rs.onFinished(finished{k: more.k, opID: more.op.ID}, locks)
				}
			case effectBegin:
				err := error(nil)
				if (int(choice)+i)%3 == 0 {
					err = cluster.Errorf(cluster.Failed, "X", "failed")
				}
				rs.onBeginFailed(beginFailed{k: ef.k, opID: ef.op.ID, err: errors.Join(err)}, locks)
				rs.onFinished(finished{k: ef.k, opID: ef.op.ID, err: err}, locks)
			}
			rs.step(locks)
		}
		targets := []fleet.SkipTarget{{Type: fleet.SkipMember, Name: "a"}, {Type: fleet.SkipGroup, Name: "g"}, {Type: fleet.SkipStage, Name: "s"}, {Type: fleet.SkipAfterStageWait, Name: "s"}}
		_ = rs.skip(targets[int(choice)%len(targets):])
		rs.step(locks)
		_ = rs.stop()
		rs.step(locks)
		_ = rs.start()
		rs.now = rs.now.Add(time.Hour)
		rs.step(locks)
		rs.deriveAll()
	})
}
