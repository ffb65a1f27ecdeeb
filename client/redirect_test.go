package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/caravan-dev/caravan/client"
	"github.com/caravan-dev/caravan/fleet"
)

// TestRedirectsAreNeverFollowed answers every request with a redirect to
// the fleet and checks that the client reports it instead of following
// it, for reads and writes alike, even with an http.Client of the
// caller's that would follow redirects.
func TestRedirectsAreNeverFollowed(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		http.Redirect(w, r, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f1", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	ref := fleet.FleetRef{ResourceGroup: "rg", Fleet: "f1"}
	for _, hc := range []*http.Client{nil, {}} {
		c, err := client.New(client.Config{URL: srv.URL, Token: "t", HTTPClient: hc})
		if err != nil {
			t.Fatal(err)
		}
		seen = nil
		ctx := context.Background()
		_, derr := c.DeleteMember(ctx, ref, "m1")
		_, gerr := c.GetMember(ctx, ref, "m1")
		_, perr := c.PutFleet(ctx, ref, fleet.Fleet{Location: "eastus"})
		for _, err := range []error{derr, gerr, perr} {
			var ce *client.Error
			if !errors.As(err, &ce) || ce.StatusCode != http.StatusTemporaryRedirect || !strings.Contains(ce.Message, "never follows redirects") {
				t.Errorf("redirect answered: %v; want an error saying it is not followed", err)
			}
		}
		if len(seen) != 3 {
			t.Errorf("requests the server saw: %q; want exactly the three the caller made", seen)
		}
	}
}

// TestInvalidNamesAreNeverSent checks that the client refuses names that
// are not resource names before sending anything.
func TestInvalidNamesAreNeverSent(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
	}))
	defer srv.Close()
	c, err := client.New(client.Config{URL: srv.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ok := fleet.FleetRef{ResourceGroup: "rg", Fleet: "f1"}
	for name, call := range map[string]func() error{
		"member ..":     func() error { _, err := c.DeleteMember(ctx, ok, ".."); return err },
		"member with /": func() error { _, err := c.GetMember(ctx, ok, "a/b"); return err },
		"strategy .":    func() error { _, err := c.DeleteStrategy(ctx, ok, "."); return err },
		"run ..":        func() error { _, err := c.DeleteRun(ctx, ok, ".."); return err },
		"run empty":     func() error { _, err := c.GetRun(ctx, ok, ""); return err },
		"fleet ..": func() error {
			_, err := c.DeleteFleet(ctx, fleet.FleetRef{ResourceGroup: "rg", Fleet: ".."})
			return err
		},
		"fleet too long": func() error {
			_, err := c.GetFleet(ctx, fleet.FleetRef{ResourceGroup: "rg", Fleet: strings.Repeat("f", 64)})
			return err
		},
		"group ..": func() error {
			_, err := c.ListMembers(ctx, fleet.FleetRef{ResourceGroup: "..", Fleet: "f1"})
			return err
		},
		"subscription ..":  func() error { _, err := c.ListFleets(ctx, "..", ""); return err },
		"group with slash": func() error { _, err := c.ListFleets(ctx, "", "a/b"); return err },
	} {
		err := call()
		var ne *client.NameError
		if !errors.As(err, &ne) || !strings.Contains(err.Error(), "is not a valid") {
			t.Errorf("%s: %v; want a NameError", name, err)
		}
	}
	if n != 0 {
		t.Fatalf("the server received %d requests", n)
	}
}
