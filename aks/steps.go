package aks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"

	"github.com/caravan-dev/caravan/cluster"
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
	// Each operation is followed through the managed cluster (see
	// following), so the SDK's poller that a Begin method returns is not
	// used: the answer that began the operation is all it needs.
	follow := &following{p: p, cs: cs, id: id, s: s, what: what}
	switch s.kind {
	case stepControlPlane, stepClusterUpgrade:
		if err := p.putCluster(capture, cs, id, obs, s); err != nil {
			return nil, asError(err, "error beginning the "+what)
		}

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
		if _, err := client.BeginCreateOrUpdate(capture, id.resourceGroup, id.name, s.pool, body, nil); err != nil {
			return nil, asError(err, "error beginning the "+what)
		}

	case stepPoolImageLatest:
		if _, err := cs.pools.BeginUpgradeNodeImageVersion(capture, id.resourceGroup, id.name, s.pool, nil); err != nil {
			return nil, asError(err, "error beginning the "+what)
		}

	default:
		return nil, fmt.Errorf("error beginning step %d: unknown kind", s.kind)
	}
	follow.initial = initial
	return follow, nil
}

// clusterUpdate is the managed cluster as read (body, as ARM returned
// it), with kubernetesVersion at the step's target. For a control plane
// step every pool's orchestratorVersion is pinned where it is, so the
// update moves the control plane only; for a cluster upgrade every pool's
// orchestratorVersion is the target too, so the cloud upgrades them after
// the control plane. Read-only fields are cleared so the body says only
// what the caller asks for; without nodeImageVersion the cloud gives an
// upgraded pool its region's newest image. It changes the JSON itself,
// leaving every other property as read: the SDK's whole ManagedCluster
// model is neither decoded nor encoded.
func clusterUpdate(body []byte, s step) ([]byte, error) {
	var mc map[string]json.RawMessage
	if err := json.Unmarshal(body, &mc); err != nil || mc == nil {
		return nil, fmt.Errorf("the managed cluster as read is not a JSON object: %v", err)
	}
	delete(mc, "eTag")
	delete(mc, "systemData")
	props := map[string]json.RawMessage{}
	if raw, ok := mc["properties"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &props); err != nil || props == nil {
			return nil, fmt.Errorf("the managed cluster's properties as read are not a JSON object: %v", err)
		}
	}
	target, _ := json.Marshal(s.version)
	props["kubernetesVersion"] = target
	delete(props, "currentKubernetesVersion")
	delete(props, "provisioningState")
	var read []map[string]json.RawMessage
	if raw, ok := props["agentPoolProfiles"]; ok {
		if err := json.Unmarshal(raw, &read); err != nil {
			return nil, fmt.Errorf("the managed cluster's agentPoolProfiles as read are not a JSON array of objects: %v", err)
		}
	}
	pools := make([]map[string]json.RawMessage, 0, len(read))
	for _, ap := range read {
		if ap == nil {
			continue
		}
		if s.kind == stepClusterUpgrade {
			ap["orchestratorVersion"] = target
		} else if v := first(rawString(ap["currentOrchestratorVersion"]), rawString(ap["orchestratorVersion"])); v != "" {
			ap["orchestratorVersion"], _ = json.Marshal(v)
		}
		for _, k := range []string{"currentOrchestratorVersion", "nodeImageVersion", "provisioningState", "eTag"} {
			delete(ap, k)
		}
		pools = append(pools, ap)
	}
	out := make([]byte, 0, len(body))
	var list []byte
	list = append(list, '[')
	for i, ap := range pools {
		if i > 0 {
			list = append(list, ',')
		}
		list = appendObject(list, ap)
	}
	props["agentPoolProfiles"] = append(list, ']')
	mc["properties"] = appendObject(nil, props)
	return appendObject(out, mc), nil
}

// appendObject appends m to b as a JSON object, its keys in order. Its
// values are JSON already (decoded from the read, or encoded here), so
// they are copied as they are: json.Marshal would check and compact each
// one again, for every level of the cluster nested in the next.
func appendObject(b []byte, m map[string]json.RawMessage) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		name, _ := json.Marshal(k) // a string always encodes
		b = append(b, name...)
		b = append(b, ':')
		if v := m[k]; v == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, v...)
		}
	}
	return append(b, '}')
}

// rawString decodes a JSON string; nil when it is not one.
func rawString(raw json.RawMessage) *string {
	var s string
	if raw == nil || json.Unmarshal(raw, &s) != nil {
		return nil
	}
	return &s
}

// putCluster sends the managed cluster PUT of a step, as
// ManagedClustersClient.BeginCreateOrUpdate does (the same pipeline and
// api-version), with the body as clusterUpdate builds it, and If-Match
// with the read's eTag when the observation is a basis.
func (p *Provider) putCluster(ctx context.Context, cs *clientSet, id clusterID, obs *observation, s step) error {
	body, err := clusterUpdate(obs.body, s)
	if err != nil {
		return cluster.Errorf(cluster.Transient, "InvalidResponse", "error reading managed cluster %s as ARM returned it: %v", id.name, err)
	}
	req, err := runtime.NewRequest(ctx, http.MethodPut, runtime.JoinPaths(cs.raw.Endpoint(), id.path()))
	if err != nil {
		return err
	}
	q := req.Raw().URL.Query()
	q.Set("api-version", apiVersion)
	req.Raw().URL.RawQuery = q.Encode()
	req.Raw().Header["Accept"] = []string{"application/json"}
	if obs.reused {
		// Read by an earlier Describe: the cluster must still be as
		// read, or the cloud refuses with 412.
		req.Raw().Header["If-Match"] = []string{obs.etag}
	}
	if err := req.SetBody(streaming.NopCloser(bytes.NewReader(body)), "application/json"); err != nil {
		return err
	}
	resp, err := cs.raw.Pipeline().Do(req)
	if err != nil {
		return err
	}
	if !runtime.HasStatusCode(resp, http.StatusOK, http.StatusCreated) {
		return runtime.NewResponseError(resp)
	}
	// The body is read now, so the connection goes back to the pool; the
	// answer stays readable for its hints.
	_, err = runtime.Payload(resp)
	return err
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
