package fleet

import (
	"fmt"
	"math"

	"github.com/caravan-dev/caravan/version"
)

// ValidateStrategy checks a strategy's stages and groups. field is the
// path of the strategy in the request, such as "properties.strategy".
func ValidateStrategy(field string, s *RunStrategy) error {
	if s == nil || len(s.Stages) == 0 {
		return Invalid(field+".stages", "a strategy needs at least one stage")
	}
	stageOf := map[string]string{} // group → stage
	stageIndex := map[string]int{}
	for i, st := range s.Stages {
		sf := fmt.Sprintf("%s.stages[%d]", field, i)
		if err := ValidateName(sf+".name", st.Name, MaxNameLength); err != nil {
			return err
		}
		if j, dup := stageIndex[st.Name]; dup {
			return Invalid(sf+".name", "stage %q is already defined at stages[%d]; stage names must be unique", st.Name, j)
		}
		stageIndex[st.Name] = i
		if st.AfterStageWaitInSeconds < 0 || st.AfterStageWaitInSeconds > math.MaxInt32 {
			return Invalid(sf+".afterStageWaitInSeconds", "%d is out of range: use 0 or more seconds", st.AfterStageWaitInSeconds)
		}
		if _, err := ParseConcurrency(sf+".maxConcurrency", st.MaxConcurrency); err != nil {
			return err
		}
		if _, err := ParseBudget(sf+".maxAllowedFailures", st.MaxAllowedFailures); err != nil {
			return err
		}
		if st.MemberSelector != nil {
			if _, err := ParseSelector(sf+".memberSelector.byLabel", st.MemberSelector.ByLabel); err != nil {
				return err
			}
		}
		if err := validateGates(sf+".beforeGates", st.BeforeGates); err != nil {
			return err
		}
		if err := validateGates(sf+".afterGates", st.AfterGates); err != nil {
			return err
		}
		if len(st.Groups) == 0 {
			return Invalid(sf+".groups", "stage %q needs at least one group", st.Name)
		}
		for j, g := range st.Groups {
			gf := fmt.Sprintf("%s.groups[%d]", sf, j)
			if err := ValidateName(gf+".name", g.Name, MaxNameLength); err != nil {
				return err
			}
			if prev, dup := stageOf[g.Name]; dup {
				return Invalid(gf+".name", "group %q is already in stage %q; a group can appear only once in a strategy", g.Name, prev)
			}
			stageOf[g.Name] = st.Name
			if _, err := ParseConcurrency(gf+".maxConcurrency", g.MaxConcurrency); err != nil {
				return err
			}
			if _, err := ParseBudget(gf+".maxAllowedFailures", g.MaxAllowedFailures); err != nil {
				return err
			}
			if g.MemberSelector != nil {
				if _, err := ParseSelector(gf+".memberSelector.byLabel", g.MemberSelector.ByLabel); err != nil {
					return err
				}
			}
			if err := validateGates(gf+".beforeGates", g.BeforeGates); err != nil {
				return err
			}
			if err := validateGates(gf+".afterGates", g.AfterGates); err != nil {
				return err
			}
		}
	}
	return nil
}

// ValidateUpdate checks a run's managedClusterUpdate. field is its path,
// such as "properties.managedClusterUpdate".
func ValidateUpdate(field string, u ManagedClusterUpdate) error {
	uf := field + ".upgrade"
	switch u.Upgrade.Type {
	case UpgradeFull, UpgradeControlPlaneOnly:
		if u.Upgrade.KubernetesVersion == "" {
			return Invalid(uf+".kubernetesVersion", "a %s upgrade needs a Kubernetes version, such as \"1.30\" or \"1.30.4\"", u.Upgrade.Type)
		}
		if _, err := version.ParseKubernetes(u.Upgrade.KubernetesVersion); err != nil {
			return Invalid(uf+".kubernetesVersion", "%v", err)
		}
	case UpgradeNodeImageOnly:
		if u.Upgrade.KubernetesVersion != "" {
			return Invalid(uf+".kubernetesVersion", "a NodeImageOnly upgrade takes no Kubernetes version; remove %q or use type Full", u.Upgrade.KubernetesVersion)
		}
	case "":
		return Invalid(uf+".type", "an upgrade type is required: Full, ControlPlaneOnly or NodeImageOnly")
	default:
		return Invalid(uf+".type", "%q is not an upgrade type: use Full, ControlPlaneOnly or NodeImageOnly", u.Upgrade.Type)
	}
	nf := field + ".nodeImageSelection"
	sel := u.NodeImageSelection
	if sel == nil {
		return nil
	}
	switch sel.Type {
	case NodeImageLatest, NodeImageConsistent:
		if len(sel.CustomNodeImageVersions) > 0 {
			return Invalid(nf+".customNodeImageVersions", "custom node image versions are only allowed with type Custom, not %s", sel.Type)
		}
	case NodeImageCustom:
		if len(sel.CustomNodeImageVersions) == 0 {
			return Invalid(nf+".customNodeImageVersions", "type Custom needs at least one node image version, such as AKSUbuntu-2204gen2containerd-202410.15.0")
		}
		families := map[string]int{}
		for i, v := range sel.CustomNodeImageVersions {
			vf := fmt.Sprintf("%s.customNodeImageVersions[%d].version", nf, i)
			img, err := version.ParseNodeImage(v.Version)
			if err != nil {
				return Invalid(vf, "%v", err)
			}
			if j, dup := families[img.Family]; dup {
				return Invalid(vf, "image family %s already has a version at customNodeImageVersions[%d]; give at most one version per family", img.Family, j)
			}
			families[img.Family] = i
		}
	case "":
		return Invalid(nf+".type", "a node image selection type is required: Latest, Consistent or Custom")
	default:
		return Invalid(nf+".type", "%q is not a node image selection type: use Latest, Consistent or Custom", sel.Type)
	}
	if u.Upgrade.Type == UpgradeControlPlaneOnly && sel.Type != NodeImageLatest {
		return Invalid(nf+".type", "a ControlPlaneOnly upgrade leaves node images alone, so node image selection %s has no effect; remove it or use type Full", sel.Type)
	}
	return nil
}

// ValidateMember checks a member's properties. field is their path, such
// as "properties".
func ValidateMember(field string, p MemberProperties) error {
	if p.ClusterResourceID == "" {
		return Invalid(field+".clusterResourceId", "the ARM id of the member's cluster is required")
	}
	if _, err := ParseClusterID(p.ClusterResourceID); err != nil {
		return Invalid(field+".clusterResourceId", "%v", err)
	}
	if p.Group != "" {
		if err := ValidateName(field+".group", p.Group, MaxNameLength); err != nil {
			return err
		}
	}
	for k, v := range p.Labels {
		if k == "" || len(k) > 63 {
			return Invalid(field+".labels", "label key %q must be 1 to 63 characters", k)
		}
		if len(v) > 63 {
			return Invalid(field+".labels", "label %q has a value longer than 63 characters", k)
		}
	}
	return nil
}
