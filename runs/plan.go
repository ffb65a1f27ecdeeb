package runs

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/caravan-dev/caravan/cluster"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/version"
)

// maxPoolLag is how many minor versions AKS lets a node pool trail its
// control plane by.
const maxPoolLag = 3

// Action is what a run will do with a member.
type Action string

// Actions.
const (
	// Upgrade: the member's cluster will be upgraded when its turn comes.
	Upgrade Action = "Upgrade"
	// Skip: the cluster is already at the target; the run skips it.
	Skip Action = "Skip"
	// Pending: the region does not offer the target yet (or the cluster
	// is busy); the member will wait and be checked again.
	Pending Action = "Pending"
	// Blocked: the cluster cannot legally reach the target (a downgrade,
	// a skipped minor version, a node pool too far behind, a cluster
	// that is gone). Starting the run is refused until it is skipped.
	Blocked Action = "Blocked"
	// Done: the member is already Completed or Skipped in this run.
	Done Action = "Done"
	// Unknown: the cluster could not be read.
	Unknown Action = "Unknown"
)

// Plan is what a run will do, member by member.
type Plan struct {
	Run                string                       `json:"run"`
	State              fleet.State                  `json:"state"`
	Upgrade            fleet.UpgradeType            `json:"upgradeType"`
	KubernetesVersion  string                       `json:"kubernetesVersion,omitempty"`
	NodeImageSelection fleet.NodeImageSelectionType `json:"nodeImageSelection,omitempty"`
	// NodeImageVersions are the images a Consistent or Custom run moves
	// pools to, by family: the recorded choice, or for a Consistent run
	// that has not started, the choice it would make now.
	NodeImageVersions []string `json:"nodeImageVersions,omitempty"`
	// NodeImagesChosenAtStart: the Consistent choice is made when the
	// run starts, so NodeImageVersions is a forecast.
	NodeImagesChosenAtStart bool         `json:"nodeImagesChosenAtStart,omitempty"`
	Members                 []MemberPlan `json:"members"`
}

// MemberPlan is one member's line of the plan.
type MemberPlan struct {
	Stage             string      `json:"stage"`
	Group             string      `json:"group"`
	Name              string      `json:"name"`
	ClusterResourceID string      `json:"clusterResourceId"`
	Region            string      `json:"region,omitempty"`
	State             fleet.State `json:"state"`
	Action            Action      `json:"action"`
	// From and To are the control plane's Kubernetes version now and
	// after the run (To is empty when it does not move).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Reason says why the member is skipped, waits or is blocked.
	Reason string `json:"reason,omitempty"`
	// MaintenanceWindow says whether the cluster's planned maintenance
	// window that governs the run's upgrade is open, and when it next
	// opens; empty when the cluster has none.
	MaintenanceWindow string     `json:"maintenanceWindow,omitempty"`
	Pools             []PoolPlan `json:"pools,omitempty"`
}

// PoolPlan is what happens to one node pool.
type PoolPlan struct {
	Name        string `json:"name"`
	FromVersion string `json:"fromVersion,omitempty"`
	ToVersion   string `json:"toVersion,omitempty"`
	FromImage   string `json:"fromImage,omitempty"`
	ToImage     string `json:"toImage,omitempty"`
	// Note says why a pool keeps its image.
	Note string `json:"note,omitempty"`
}

// Observation is what the provider reported of a member's cluster: the
// cluster, or the error reading it.
type Observation struct {
	Cluster *cluster.Cluster
	Err     error
}

// Observations are keyed by fleet.ClusterKey of the cluster id.
type Observations map[string]Observation

// Build makes the plan of a run from what was observed of its members'
// clusters.
func Build(run *fleet.UpdateRun, obs Observations) Plan {
	u := run.Properties.ManagedClusterUpdate
	p := Plan{Run: run.Name, Upgrade: u.Upgrade.Type, KubernetesVersion: u.Upgrade.KubernetesVersion}
	st := run.Properties.Status
	if st == nil {
		return p
	}
	p.State = st.Status.State
	t := targetOf(run, obs)
	if u.Upgrade.Type != fleet.UpgradeControlPlaneOnly {
		p.NodeImageSelection = u.SelectionType()
		for _, fam := range slices.Sorted(maps.Keys(t.images)) {
			p.NodeImageVersions = append(p.NodeImageVersions, t.images[fam])
		}
		p.NodeImagesChosenAtStart = p.NodeImageSelection == fleet.NodeImageConsistent && (st.NodeImageSelection == nil)
	}
	for _, s := range st.Stages {
		for _, g := range s.Groups {
			for _, m := range g.Members {
				mp := t.member(m, obs[fleet.ClusterKey(m.ClusterResourceID)])
				mp.Stage, mp.Group = s.Name, g.Name
				p.Members = append(p.Members, mp)
			}
		}
	}
	return p
}

// Blocked returns the members that cannot legally reach the target.
func (p Plan) Blocked() []MemberPlan {
	var out []MemberPlan
	for _, m := range p.Members {
		if m.Action == Blocked {
			out = append(out, m)
		}
	}
	return out
}

// target is the run's update, parsed.
type target struct {
	upgrade fleet.UpgradeType
	sel     fleet.NodeImageSelectionType
	want    version.Kubernetes
	// images by family for Consistent and Custom.
	images map[string]string
}

func targetOf(run *fleet.UpdateRun, obs Observations) target {
	u := run.Properties.ManagedClusterUpdate
	t := target{upgrade: u.Upgrade.Type, sel: u.SelectionType(), images: map[string]string{}}
	if u.Upgrade.Type != fleet.UpgradeNodeImageOnly {
		t.want, _ = version.ParseKubernetes(u.Upgrade.KubernetesVersion)
	}
	if u.Upgrade.Type == fleet.UpgradeControlPlaneOnly {
		return t
	}
	switch t.sel {
	case fleet.NodeImageCustom:
		for _, v := range u.NodeImageSelection.CustomNodeImageVersions {
			t.images[version.ImageFamily(v.Version)] = v.Version
		}
	case fleet.NodeImageConsistent:
		if s := run.Properties.Status.NodeImageSelection; s != nil {
			for _, v := range s.SelectedNodeImageVersions {
				t.images[version.ImageFamily(v.Version)] = v.Version
			}
			break
		}
		// Not chosen yet: the newest image of each family that every
		// region of the run's clusters offers.
		for _, s := range run.Properties.Status.Stages {
			for _, g := range s.Groups {
				for _, m := range g.Members {
					o := obs[fleet.ClusterKey(m.ClusterResourceID)]
					if o.Cluster == nil {
						continue
					}
					for fam, img := range o.Cluster.LatestImages() {
						if cur, ok := t.images[fam]; !ok || version.CompareNodeImages(img, cur) < 0 {
							t.images[fam] = img
						}
					}
				}
			}
		}
	}
	return t
}

// member plans one member.
func (t target) member(m fleet.MemberStatus, o Observation) MemberPlan {
	mp := MemberPlan{Name: m.Name, ClusterResourceID: m.ClusterResourceID, State: m.Status.State}
	if c := o.Cluster; c != nil {
		mp.Region, mp.From = c.Region, c.KubernetesVersion
	}
	switch {
	case m.Status.State.Finished():
		mp.Action, mp.Reason = Done, "already "+string(m.Status.State)+" in this run"
		if m.Message != "" {
			mp.Reason += ": " + m.Message
		}
		return mp
	case o.Err != nil && cluster.ReasonOf(o.Err) == cluster.NotFound:
		mp.Action, mp.Reason = Blocked, fmt.Sprintf("cluster not found (%v); skip the member, or delete it from the fleet", o.Err)
		return mp
	case o.Err != nil || o.Cluster == nil:
		mp.Action, mp.Reason = Unknown, "cannot read the cluster"
		if o.Err != nil {
			mp.Reason += ": " + o.Err.Error()
		}
		return mp
	}
	c := o.Cluster
	// The control plane's target.
	var to version.Kubernetes
	if t.upgrade != fleet.UpgradeNodeImageOnly {
		offered := slices.Clone(c.AvailableVersions)
		if c.KubernetesVersion != "" {
			offered = append(offered, c.KubernetesVersion)
		}
		v, ok := t.want, t.want.HasPatch()
		if !ok {
			v, ok = version.Resolve(t.want, offered)
		}
		if !ok {
			mp.Action, mp.Reason = Pending, fmt.Sprintf("no Kubernetes %s version is offered in region %s; the member will wait and be checked again", t.want, c.Region)
			return mp
		}
		to, mp.To = v, v.String()
	}
	illegal := ""
	if t.upgrade != fleet.UpgradeNodeImageOnly {
		illegal = t.illegal(c, to)
	}
	// The pools.
	behind := false
	var pending string
	for _, np := range c.NodePools {
		pp := PoolPlan{Name: np.Name, FromVersion: np.KubernetesVersion, FromImage: np.NodeImageVersion}
		if t.upgrade == fleet.UpgradeFull {
			pp.ToVersion = to.String()
			behind = behind || np.KubernetesVersion != pp.ToVersion
		}
		if t.upgrade != fleet.UpgradeControlPlaneOnly {
			want, ok := t.images[np.ImageFamily()], false
			if t.sel == fleet.NodeImageLatest {
				want = np.LatestNodeImageVersion
			}
			ok = want != ""
			switch {
			case !ok && t.sel == fleet.NodeImageLatest:
				pp.Note = "the region's newest image is not known; the upgrade takes it"
				behind = true
			case !ok:
				pp.Note = "no target image for family " + np.ImageFamily() + "; keeps its image"
			case version.ImageFamily(np.NodeImageVersion) == version.ImageFamily(want) && version.CompareNodeImages(np.NodeImageVersion, want) > 0:
				pp.ToImage = np.NodeImageVersion
				pp.Note = "keeps its newer image (images never move backwards)"
			default:
				pp.ToImage = want
				if np.NodeImageVersion != want {
					behind = true
					if !c.OffersImage(want) && pending == "" {
						pending = fmt.Sprintf("node image %s is not offered in region %s yet; the member will wait and be checked again", want, c.Region)
					}
				}
			}
		}
		mp.Pools = append(mp.Pools, pp)
	}
	cpMoves := t.upgrade != fleet.UpgradeNodeImageOnly && c.KubernetesVersion != mp.To
	switch {
	case illegal != "":
		mp.Action, mp.Reason = Blocked, illegal
	case !cpMoves && !behind:
		mp.Action, mp.Reason = Skip, "already at the target"
	case cpMoves && !c.OffersVersion(mp.To):
		mp.Action, mp.Reason = Pending, fmt.Sprintf("Kubernetes %s is not offered in region %s yet; the member will wait and be checked again", mp.To, c.Region)
	case pending != "":
		mp.Action, mp.Reason = Pending, pending
	case c.Busy:
		mp.Action, mp.Reason = Pending, "the cluster is busy with another operation; the member will wait and be checked again"
	default:
		mp.Action = Upgrade
	}
	return mp
}

// illegal says why the cluster cannot move to Kubernetes to, or "".
func (t target) illegal(c *cluster.Cluster, to version.Kubernetes) string {
	cur, err := version.ParseKubernetes(c.KubernetesVersion)
	if err != nil {
		return ""
	}
	switch {
	case to.Compare(cur) < 0:
		return fmt.Sprintf("control plane is at %s, newer than the target %s; a downgrade is not allowed, so skip the member", cur, to)
	case cur.MinorsBetween(to) > 1:
		return fmt.Sprintf("control plane %s → %s would skip minor version %s; upgrade it to %s first, or skip the member", cur, to, next(cur), next(cur))
	}
	var problems []string
	for _, np := range c.NodePools {
		pv, err := version.ParseKubernetes(np.KubernetesVersion)
		if err != nil {
			continue
		}
		switch {
		case t.upgrade == fleet.UpgradeFull && to.Compare(pv) < 0:
			problems = append(problems, fmt.Sprintf("node pool %s is at %s, newer than the target %s", np.Name, pv, to))
		case t.upgrade == fleet.UpgradeFull && pv.MinorsBetween(to) > 1:
			problems = append(problems, fmt.Sprintf("node pool %s at %s cannot move to %s in one step (it would skip minor %s); upgrade the pool to %s first", np.Name, pv, to, next(pv), next(pv)))
		case t.upgrade == fleet.UpgradeControlPlaneOnly && pv.MinorsBetween(to) > maxPoolLag:
			problems = append(problems, fmt.Sprintf("node pool %s at %s would be more than %d minor versions behind a %s control plane; upgrade the pool first", np.Name, pv, maxPoolLag, to))
		}
	}
	if len(problems) > 0 {
		return strings.Join(problems, "; ") + ", or skip the member"
	}
	return ""
}

func next(v version.Kubernetes) string { return fmt.Sprintf("%d.%d", v.Major, v.Minor+1) }
