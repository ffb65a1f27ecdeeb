package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	azcloud "github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	fleetsdk "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservicefleet/armcontainerservicefleet"
)

// TestMain lets the test binary stand in for the caravan binary: with
// CARAVAN_TEST_MAIN set it runs main with the arguments after "--".
func TestMain(m *testing.M) {
	if os.Getenv("CARAVAN_TEST_MAIN") == "1" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{"caravan"}, os.Args[i+1:]...)
				break
			}
		}
		main()
		return
	}
	os.Exit(m.Run())
}

type staticToken string

func (s staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(s), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

const sub = "00000000-0000-0000-0000-000000000000"

// TestServeForAzureSDKs runs `CARAVAN_TOKEN=secret caravan serve --addr
// ... --data DIR --simulate` as its own process, drives it with Azure's
// armcontainerservice and armcontainerservicefleet clients, then stops it
// with SIGTERM and expects a clean exit.
func TestServeForAzureSDKs(t *testing.T) {
	dir := t.TempDir()
	seed := filepath.Join(dir, "seed.yaml")
	os.WriteFile(seed, []byte("clusters:\n  - {name: alpha, resourceGroup: aks, region: eastus, kubernetesVersion: \"1.31\"}\n"), 0o600)
	cmd := exec.Command(os.Args[0], "-test.run=^$", "--", "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--simulate", "--sim-seed", seed)
	cmd.Env = append(os.Environ(), "CARAVAN_TEST_MAIN=1", "CARAVAN_TOKEN=secret")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// A server that never says where it serves is killed, which ends
	// the scan below.
	watchdog := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	defer watchdog.Stop()
	lines := bufio.NewScanner(stderr)
	url := ""
	for url == "" && lines.Scan() {
		if m := regexp.MustCompile(`"caravan is serving" url=(\S+)`).FindStringSubmatch(lines.Text()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		t.Fatal("caravan serve did not say where it serves")
	}
	rest := make(chan string, 1)
	go func() {
		var b strings.Builder
		for lines.Scan() {
			b.WriteString(lines.Text() + "\n")
		}
		rest <- b.String()
	}()

	opts := &arm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: azcloud.Configuration{Services: map[azcloud.ServiceName]azcloud.ServiceConfiguration{
			azcloud.ResourceManager: {Endpoint: url, Audience: url},
		}},
		InsecureAllowCredentialWithHTTP: true,
	}}
	ctx := context.Background()
	aks, err := armcontainerservice.NewManagedClustersClient(sub, staticToken("secret"), opts)
	if err != nil {
		t.Fatal(err)
	}
	mc, err := aks.Get(ctx, "aks", "alpha", nil)
	if err != nil || *mc.Location != "eastus" || !strings.HasPrefix(*mc.Properties.KubernetesVersion, "1.31.") {
		t.Fatalf("managed cluster: %+v %v", mc, err)
	}
	fleets, err := fleetsdk.NewClientFactory(sub, staticToken("secret"), opts)
	if err != nil {
		t.Fatal(err)
	}
	p, err := fleets.NewFleetsClient().BeginCreateOrUpdate(ctx, "rg", "f1", fleetsdk.Fleet{Location: to.Ptr("eastus")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.PollUntilDone(ctx, nil); err != nil {
		t.Fatal(err)
	}
	mp, err := fleets.NewFleetMembersClient().BeginCreate(ctx, "rg", "f1", "alpha", fleetsdk.FleetMember{Properties: &fleetsdk.FleetMemberProperties{ClusterResourceID: mc.ID, Group: to.Ptr("canary")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mp.PollUntilDone(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// A wrong token is refused.
	refused, _ := armcontainerservice.NewManagedClustersClient(sub, staticToken("wrong"), opts)
	if _, err := refused.Get(ctx, "aks", "alpha", nil); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("a wrong token: %v", err)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("caravan serve after SIGTERM: %v\n%s", err, <-rest)
	}
	if log := <-rest; !strings.Contains(log, "caravan stopped") {
		t.Errorf("no graceful shutdown in the log:\n%s", log)
	}
}
