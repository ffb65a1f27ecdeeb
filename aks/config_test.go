package aks

import (
	"context"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/caravan-dev/caravan/cluster"
)

func TestConfigValidate(t *testing.T) {
	tok := StaticToken("t")
	tests := []struct {
		cfg      Config
		insecure bool
		wantErr  string
	}{
		{cfg: Config{Credential: tok}},
		{cfg: Config{Credential: tok, Endpoint: "https://management.azure.com"}},
		{cfg: Config{Credential: tok, Endpoint: "http://127.0.0.1:8443"}, insecure: true},
		{cfg: Config{Credential: tok, Endpoint: "http://localhost:8443"}, insecure: true},
		{cfg: Config{Credential: tok, Endpoint: "http://[::1]:8443"}, insecure: true},
		{cfg: Config{Credential: tok, Endpoint: "http://sim.example:8443"}, wantErr: "plain http"},
		{cfg: Config{Credential: tok, Endpoint: "http://sim.example:8443", AllowInsecureHTTP: true}, insecure: true},
		{cfg: Config{Credential: tok, Endpoint: "ftp://x"}, wantErr: "not an http"},
		{cfg: Config{Credential: tok, Endpoint: "management.azure.com"}, wantErr: "not an http"},
		{cfg: Config{}, wantErr: "no credential"},
	}
	for _, tt := range tests {
		insecure, err := tt.cfg.validate()
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("validate(%q) = %v, want an error containing %q", tt.cfg.Endpoint, err, tt.wantErr)
		case tt.wantErr == "" && err != nil:
			t.Errorf("validate(%q) = %v", tt.cfg.Endpoint, err)
		case insecure != tt.insecure:
			t.Errorf("validate(%q) allows plain http = %v, want %v", tt.cfg.Endpoint, insecure, tt.insecure)
		}
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cfg, err := ConfigFromEnvironment(env(map[string]string{
		EnvEndpoint: "http://127.0.0.1:9", EnvToken: "secret", EnvMaxRetries: "0",
		EnvPollMax: "2s", EnvNodeImageAPIVersion: "2025-01-02-preview", EnvInsecureHTTP: "false",
		EnvMaxInFlight: "16",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Endpoint != "http://127.0.0.1:9" || cfg.Retry.MaxRetries != -1 || cfg.Poll.Max.String() != "2s" || cfg.NodeImageAPIVersion != "2025-01-02-preview" || cfg.MaxInFlight != 16 {
		t.Errorf("config = %+v", cfg)
	}
	tok, err := cfg.Credential.GetToken(context.Background(), policy.TokenRequestOptions{})
	if err != nil || tok.Token != "secret" {
		t.Errorf("token = %q, %v; want the static token", tok.Token, err)
	}
	for k, v := range map[string]string{EnvMaxRetries: "many", EnvPollMax: "soon", EnvInsecureHTTP: "perhaps", EnvMaxInFlight: "0"} {
		if _, err := ConfigFromEnvironment(env(map[string]string{EnvToken: "x", k: v})); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%q: error %v, want one naming the variable", k, v, err)
		}
	}
}

func TestParseClusterID(t *testing.T) {
	id, err := parseClusterID("/subscriptions/s1/resourcegroups/rg1/providers/microsoft.containerservice/managedclusters/c1")
	if err != nil || id.subscription != "s1" || id.resourceGroup != "rg1" || id.name != "c1" {
		t.Fatalf("parseClusterID = %+v, %v", id, err)
	}
	for _, bad := range []string{
		"", "/", "c1", "subscriptions/s1/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/c1",
		"/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters",
		"/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/c1",
		"/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/c1/agentPools/p",
		"/subscriptions//resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/c1",
	} {
		_, err := parseClusterID(bad)
		if cluster.ReasonOf(err) != cluster.Rejected || cluster.CodeOf(err) != "InvalidResourceId" {
			t.Errorf("parseClusterID(%q) = %v, want Rejected InvalidResourceId", bad, err)
		}
	}
}
