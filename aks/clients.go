package aks

import (
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
)

// clientSet holds the SDK clients of one subscription.
type clientSet struct {
	clusters *armcontainerservice.ManagedClustersClient
	pools    *armcontainerservice.AgentPoolsClient
	// maintenance lists a cluster's planned maintenance configurations.
	maintenance *armcontainerservice.MaintenanceConfigurationsClient
	// pinPools updates agent pools whose nodeImageVersion is pinned; it
	// uses Config.NodeImageAPIVersion when that is set.
	pinPools *armcontainerservice.AgentPoolsClient
	// raw sends requests the SDK has no method for, such as reading an
	// operation status URL.
	raw *arm.Client
}

// clients returns the client set of a subscription, creating it once.
func (p *Provider) clients(subscription string) (*clientSet, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cs := p.subs[subscription]; cs != nil {
		return cs, nil
	}
	opts := p.clientOptions("")
	f, err := armcontainerservice.NewClientFactory(subscription, p.cfg.Credential, opts)
	if err != nil {
		return nil, fmt.Errorf("error creating AKS clients for subscription %s: %w", subscription, err)
	}
	raw, err := arm.NewClient("caravan.aks", "v1.0.0", p.cfg.Credential, opts)
	if err != nil {
		return nil, fmt.Errorf("error creating an ARM client for subscription %s: %w", subscription, err)
	}
	cs := &clientSet{clusters: f.NewManagedClustersClient(), pools: f.NewAgentPoolsClient(), maintenance: f.NewMaintenanceConfigurationsClient(), raw: raw}
	cs.pinPools = cs.pools
	if v := p.cfg.NodeImageAPIVersion; v != "" {
		pf, err := armcontainerservice.NewClientFactory(subscription, p.cfg.Credential, p.clientOptions(v))
		if err != nil {
			return nil, fmt.Errorf("error creating AKS clients for subscription %s with api-version %s: %w", subscription, v, err)
		}
		cs.pinPools = pf.NewAgentPoolsClient()
	}
	p.subs[subscription] = cs
	return cs, nil
}

// clientOptions builds the SDK options: endpoint, retries, transport and,
// when apiVersion is set, an api-version override.
func (p *Provider) clientOptions(apiVersion string) *arm.ClientOptions {
	o := &arm.ClientOptions{
		ClientOptions: policy.ClientOptions{
			APIVersion:                      apiVersion,
			InsecureAllowCredentialWithHTTP: p.insecureHTTP,
			Transport:                       p.cfg.Transport,
			Retry: policy.RetryOptions{
				MaxRetries:    p.cfg.Retry.MaxRetries,
				RetryDelay:    p.cfg.Retry.Delay,
				MaxRetryDelay: p.cfg.Retry.MaxDelay,
				TryTimeout:    p.cfg.Retry.TryTimeout,
			},
		},
		// The provider only reads and updates existing clusters, so the
		// resource provider is registered already; automatic registration
		// would only add a slow path on unrelated 409s.
		DisableRPRegistration: true,
	}
	if p.inFlight != nil {
		o.PerRetryPolicies = append(o.PerRetryPolicies, inFlightPolicy{p.inFlight})
	}
	if p.cfg.ObserveRequest != nil {
		o.PerRetryPolicies = append(o.PerRetryPolicies, observePolicy{p.cfg.ObserveRequest})
	}
	if p.cfg.Endpoint != "" {
		o.Cloud = cloud.Configuration{
			ActiveDirectoryAuthorityHost: cloud.AzurePublic.ActiveDirectoryAuthorityHost,
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Endpoint: p.cfg.Endpoint, Audience: p.cfg.Audience},
			},
		}
	}
	return o
}
