package client_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/caravan-dev/caravan/client"
	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/server"
)

// A client creates a fleet on a server and lists the fleets of its
// resource group.
func Example() {
	dir, _ := os.MkdirTemp("", "caravan-example-")
	defer os.RemoveAll(dir)
	srv, err := server.Start(context.Background(), server.Config{
		Addr: "127.0.0.1:0", DataDir: dir, Token: "example-token",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Shutdown()

	c, err := client.New(client.Config{URL: srv.URL, Token: "example-token", ResourceGroup: "prod"})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	if _, err := c.PutFleet(ctx, fleet.FleetRef{Fleet: "fleet-1"}, fleet.Fleet{Location: "eastus"}); err != nil {
		fmt.Println(err)
		return
	}
	fleets, err := c.ListFleets(ctx, "", "prod")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range fleets {
		fmt.Println(f.Name, f.Location, f.Properties.ProvisioningState)
	}
	_, err = c.GetFleet(ctx, fleet.FleetRef{Fleet: "fleet-2"})
	fmt.Println(client.IsNotFound(err))
	// Output:
	// fleet-1 eastus Succeeded
	// true
}
