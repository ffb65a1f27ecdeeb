package aks

import (
	"context"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
)

// begin starts the cloud operation of one step on the observed cluster.
func (p *Provider) begin(ctx context.Context, id clusterID, obs *observation, s step) (lro, error) {
	cs, err := p.clients(id.subscription)
	if err != nil {
		return nil, err
	}
	what := fmt.Sprintf("%s of cluster %s", s, id.name)
	var initial *http.Response
	// A write is retried by the SDK only when throttled; see write.
	capture := runtime.WithCaptureResponse(policy.WithRetryOptions(ctx, p.writeRetry()), &initial)
	switch s.kind {
	case stepControlPlane, stepClusterUpgrade:
		mc, err := obs.resource()
		if err != nil {
			return nil, err
		}
		body := clusterUpdate(mc, s)
		var opts *armcontainerservice.ManagedClustersClientBeginCreateOrUpdateOptions
		if obs.reused {
			// Read by an earlier Describe: the cluster must still be as
			// read, or the cloud refuses with 412.
			opts = &armcontainerservice.ManagedClustersClientBeginCreateOrUpdateOptions{IfMatch: to.Ptr(obs.etag)}
		}
		poller, err := cs.clusters.BeginCreateOrUpdate(capture, id.resourceGroup, id.name, body, opts)
		if err != nil {
			return nil, asError(err, "error beginning the "+what)
		}
		return &pollerLRO[armcontainerservice.ManagedClustersClientCreateOrUpdateResponse]{p: p, cs: cs, poller: poller, initial: initial, what: what}, nil

	case stepPoolVersion, stepPoolImagePinned:
		ap, ok := obs.pool(s.pool)
		if !ok {
			got, err := cs.pools.Get(ctx, id.resourceGroup, id.name, s.pool, nil)
			if err != nil {
				return nil, asError(err, fmt.Sprintf("error getting node pool %s of cluster %s", s.pool, id.name))
			}
			ap = got.AgentPool
		}
		body := poolUpdate(ap, s)
		client := cs.pools
		if s.image != "" {
			client = cs.pinPools
		}
		poller, err := client.BeginCreateOrUpdate(capture, id.resourceGroup, id.name, s.pool, body, nil)
		if err != nil {
			return nil, asError(err, "error beginning the "+what)
		}
		return &pollerLRO[armcontainerservice.AgentPoolsClientCreateOrUpdateResponse]{p: p, cs: cs, poller: poller, initial: initial, what: what}, nil

	case stepPoolImageLatest:
		poller, err := cs.pools.BeginUpgradeNodeImageVersion(capture, id.resourceGroup, id.name, s.pool, nil)
		if err != nil {
			return nil, asError(err, "error beginning the "+what)
		}
		return &pollerLRO[armcontainerservice.AgentPoolsClientUpgradeNodeImageVersionResponse]{p: p, cs: cs, poller: poller, initial: initial, what: what}, nil
	}
	return nil, fmt.Errorf("error beginning step %d: unknown kind", s.kind)
}

// clusterUpdate is the managed cluster as read, with kubernetesVersion at
// the step's target. For a control plane step every pool's
// orchestratorVersion is pinned where it is, so the update moves the
// control plane only; for a cluster upgrade every pool's
// orchestratorVersion is the target too, so the cloud upgrades them after
// the control plane. Read-only fields are cleared so the body says only
// what the caller asks for; without nodeImageVersion the cloud gives an
// upgraded pool its region's newest image.
func clusterUpdate(mc armcontainerservice.ManagedCluster, s step) armcontainerservice.ManagedCluster {
	target := s.version
	out := mc
	out.ETag, out.SystemData = nil, nil
	if mc.Properties == nil {
		out.Properties = &armcontainerservice.ManagedClusterProperties{}
	} else {
		props := *mc.Properties
		out.Properties = &props
	}
	props := out.Properties
	props.KubernetesVersion = to.Ptr(target)
	props.CurrentKubernetesVersion = nil
	props.ProvisioningState = nil
	pools := make([]*armcontainerservice.ManagedClusterAgentPoolProfile, 0, len(props.AgentPoolProfiles))
	for _, ap := range props.AgentPoolProfiles {
		if ap == nil {
			continue
		}
		cp := *ap
		if s.kind == stepClusterUpgrade {
			cp.OrchestratorVersion = to.Ptr(target)
		} else if v := first(ap.CurrentOrchestratorVersion, ap.OrchestratorVersion); v != "" {
			cp.OrchestratorVersion = to.Ptr(v)
		}
		cp.CurrentOrchestratorVersion = nil
		cp.NodeImageVersion = nil
		cp.ProvisioningState = nil
		cp.ETag = nil
		pools = append(pools, &cp)
	}
	props.AgentPoolProfiles = pools
	return out
}

// poolUpdate is the agent pool as read with the step's change: the
// orchestratorVersion for a version step, and nodeImageVersion only when
// the step pins an image (otherwise the cloud picks the image).
func poolUpdate(ap armcontainerservice.AgentPool, s step) armcontainerservice.AgentPool {
	out := armcontainerservice.AgentPool{}
	props := armcontainerservice.ManagedClusterAgentPoolProfileProperties{}
	if ap.Properties != nil {
		props = *ap.Properties
	}
	props.CurrentOrchestratorVersion = nil
	props.ProvisioningState = nil
	props.ETag = nil
	props.NodeImageVersion = nil
	if s.kind == stepPoolVersion {
		props.OrchestratorVersion = to.Ptr(s.version)
	}
	if s.image != "" {
		props.NodeImageVersion = to.Ptr(s.image)
	}
	out.Properties = &props
	return out
}
