package aks

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// RequestObserver is told of every HTTP try the provider makes: its
// operation (the method and the ARM resource type it addresses, such as
// "PUT agentPools" or "POST agentPools/upgradeNodeImageVersion") and the
// status code, or "error" when no response came. Retries are tries of
// their own, so throttling (429) and server faults show.
type RequestObserver func(operation, code string)

// observePolicy reports each try to a RequestObserver; it sits in the
// SDK's pipeline after the retry policy.
type observePolicy struct{ observe RequestObserver }

func (o observePolicy) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	code := "error"
	if resp != nil {
		code = strconv.Itoa(resp.StatusCode)
	}
	o.observe(operationOf(req.Raw().Method, req.Raw().URL.Path), code)
	return resp, err
}

// collections are the ARM resource types the provider addresses.
var collections = map[string]string{
	"managedclusters":    "managedClusters",
	"agentpools":         "agentPools",
	"upgradeprofiles":    "upgradeProfiles",
	"operations":         "operations",
	"operationresults":   "operationResults",
	"operationstatuses":  "operationStatuses",
	"kubernetesversions": "kubernetesVersions",
	"nodeimageversions":  "nodeImageVersions",
}

// operationOf names a request by its method and the last resource type
// in its path, with the action that follows a resource's name, if any:
// "GET managedClusters", "POST agentPools/upgradeNodeImageVersion".
func operationOf(method, path string) string {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	for i := len(seg) - 1; i >= 0; i-- {
		name, ok := collections[strings.ToLower(seg[i])]
		if !ok {
			continue
		}
		if rest := seg[i+1:]; len(rest) == 2 {
			if _, isColl := collections[strings.ToLower(rest[1])]; !isColl {
				name += "/" + rest[1]
			}
		}
		return method + " " + name
	}
	return method + " other"
}
