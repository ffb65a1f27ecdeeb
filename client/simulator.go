package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/caravan-dev/caravan/simcloud"
)

// SimulatorOperations reads the operation record of the simulated cloud a
// server hosts (GET /simulator/operations): one entry per thing the
// simulator did, oldest first. An empty filter matches everything.
func (c *Client) SimulatorOperations(ctx context.Context, f simcloud.OperationFilter) ([]simcloud.Operation, error) {
	q := url.Values{}
	if f.Cluster != "" {
		q.Set("cluster", f.Cluster)
	}
	if f.Kind != "" {
		q.Set("kind", string(f.Kind))
	}
	u := *c.base
	u.Path = c.base.Path + "/simulator/operations"
	u.RawQuery = q.Encode()
	var out []simcloud.Operation
	if _, err := c.do(ctx, http.MethodGet, u.String(), nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// SimulatorRegion is what one region of a simulated cloud offers.
type SimulatorRegion struct {
	Name               string   `json:"name"`
	KubernetesVersions []string `json:"kubernetesVersions"`
	NodeImages         []string `json:"nodeImages"`
	// LatestNodeImages maps an image family to the region's newest image.
	LatestNodeImages map[string]string `json:"latestNodeImages"`
}

// SimulatorCatalog reads what each region of a simulated cloud offers
// (GET /simulator/catalog).
func (c *Client) SimulatorCatalog(ctx context.Context) ([]SimulatorRegion, error) {
	u := *c.base
	u.Path = c.base.Path + "/simulator/catalog"
	var out struct {
		Regions []SimulatorRegion `json:"regions"`
	}
	if _, err := c.do(ctx, http.MethodGet, u.String(), nil, &out); err != nil {
		return nil, err
	}
	return out.Regions, nil
}
