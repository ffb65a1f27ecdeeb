package simcloud

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// listClusters serves both list operations, a page at a time. A page
// ends with a nextLink carrying $skipToken, the key of its last cluster.
func (cl *Cloud) listClusters(q *request) (*reply, *armError) {
	var match []*cluster
	for _, c := range cl.clusters.all() {
		if !strings.EqualFold(c.sub, q.rt.sub) {
			continue
		}
		if q.rt.kind == routeClustersInGroup && !strings.EqualFold(c.rg, q.rt.rg) {
			continue
		}
		match = append(match, c)
	}
	slices.SortFunc(match, func(a, b *cluster) int { return strings.Compare(a.key, b.key) })
	skip := q.r.URL.Query().Get("$skipToken")
	start := 0
	if skip != "" {
		start, _ = slices.BinarySearchFunc(match, skip, func(c *cluster, k string) int {
			if c.key <= k {
				return -1
			}
			return 1
		})
	}
	list := listJSON[*managedClusterJSON]{Value: []*managedClusterJSON{}}
	i := start
	for ; i < len(match) && len(list.Value) < cl.opts.PageSize; i++ {
		c := match[i]
		c.mu.Lock()
		cl.settle(c, q.now)
		if !c.deleted {
			list.Value = append(list.Value, c.toARM())
		}
		c.mu.Unlock()
	}
	if i < len(match) {
		link := q.base + q.r.URL.EscapedPath() + "?api-version=" + url.QueryEscape(q.apiVersion) +
			"&$skipToken=" + url.QueryEscape(match[i-1].key)
		list.NextLink = link
	}
	return &reply{status: http.StatusOK, body: list}, nil
}
