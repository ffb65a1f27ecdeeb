package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/server"
)

// TestReadyzTellsAnonymousCallersOnlyReadyOrNot breaks the store and
// checks that /readyz answers 503 "not ready" with no detail to an
// anonymous caller or a token it does not know, and says why only to an
// authenticated one; /healthz stays a plain "ok".
func TestReadyzTellsAnonymousCallersOnlyReadyOrNot(t *testing.T) {
	s := startAccessServer(t, server.Config{})
	addr := strings.TrimPrefix(s.URL, "http://")
	body := func(a answer) map[string]string {
		var m map[string]string
		if err := json.Unmarshal([]byte(a.body), &m); err != nil {
			t.Fatalf("%q: %v", a.body, err)
		}
		return m
	}
	if a := send(t, addr, "GET", "/readyz", "", ""); a.status != 200 || len(body(a)) != 1 || body(a)["status"] != "ready" {
		t.Fatalf("ready: %d %s", a.status, a.body)
	}
	s.Store.Close()
	for _, token := range []string{"", unknownToken} {
		a := send(t, addr, "GET", "/readyz", token, "")
		if a.status != 503 || len(body(a)) != 1 || body(a)["status"] != "not ready" {
			t.Errorf("not ready, token %q: %d %s; want only {\"status\":\"not ready\"}", token, a.status, a.body)
		}
	}
	a := send(t, addr, "GET", "/readyz", readerToken, "")
	if a.status != 503 || body(a)["status"] != "not ready" || !strings.Contains(body(a)["detail"], "store") {
		t.Errorf("not ready, as a reader: %d %s; want the detail", a.status, a.body)
	}
	if a := send(t, addr, "GET", "/healthz", "", ""); a.status != 200 || strings.TrimSpace(a.body) != `{"status":"ok"}` {
		t.Errorf("healthz: %d %s", a.status, a.body)
	}
}

// TestDatabasePasswordsNeverShow starts servers on PostgreSQL connection
// strings that fail in every way and checks that neither the error nor
// the log shows the password.
func TestDatabasePasswordsNeverShow(t *testing.T) {
	const pw = "s3cr3t-Pa55"
	for _, dsn := range []string{
		"postgres://caravan:" + pw + "@127.0.0.1:1/caravan?connect_timeout=2",
		"postgresql://caravan:" + pw + "@127.0.0.1:notaport/caravan",
		"postgres://caravan:" + pw + "@[::1/caravan",
		"postgres://caravan@127.0.0.1:1/caravan?password=" + pw + "&connect_timeout=2",
		"postgres://caravan:" + strings.ReplaceAll(pw, "-", "%2D") + "@127.0.0.1:1/caravan?connect_timeout=2",
		"host=127.0.0.1 port=1 user=caravan password=" + pw,
		"postgres://caravan:" + pw + "@127.0.0.1:1/caravan?sslmode=bogus",
	} {
		logs := &syncBuffer{}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		s, err := server.Start(ctx, server.Config{
			Addr: "127.0.0.1:0", DataDir: t.TempDir(), Token: "t", DB: dsn,
			Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		})
		cancel()
		if err == nil {
			s.Shutdown()
			t.Fatalf("%s: started", dsn)
		}
		if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), "Pa55") || strings.Contains(logs.String(), "Pa55") {
			t.Errorf("the password shows:\nerror: %v\nlog: %s", err, logs)
		}
		if !strings.Contains(err.Error(), "--db") {
			t.Errorf("the error does not name --db: %v", err)
		}
	}
}

// TestNextLinkIgnoresTheHostHeader lists fleets a page at a time with a
// forged Host header: the nextLink leads to the server's own address, or
// to --public-url when one is set.
func TestNextLinkIgnoresTheHostHeader(t *testing.T) {
	for _, public := range []string{"", "https://caravan.example.com/"} {
		s := startAccessServer(t, server.Config{PublicURL: public})
		addr := strings.TrimPrefix(s.URL, "http://")
		for _, f := range []string{"f1", "f2"} {
			if a := send(t, addr, "PUT", fleetURLPath(f)+apiVersionQuery, adminToken, `{"location":"eastus"}`); a.status != 201 {
				t.Fatalf("PUT %s: %d", f, a.status)
			}
		}
		a := sendWithHost(t, addr, "evil.example", fleetsPath()+apiVersionQuery+"&$top=1", readerToken)
		var page struct{ NextLink string }
		json.Unmarshal([]byte(a.body), &page)
		want := s.URL + fleetsPath() + "?"
		if public != "" {
			want = "https://caravan.example.com" + fleetsPath() + "?"
		}
		if a.status != 200 || !strings.HasPrefix(page.NextLink, want) {
			t.Errorf("public URL %q: nextLink %q; want it to start %q", public, page.NextLink, want)
		}
	}
}

func fleetsPath() string {
	return "/subscriptions/" + accessSub + "/resourceGroups/" + accessRG + "/providers/Microsoft.ContainerService/fleets"
}

// TestTokensNeverShow sends requests that succeed and fail in every way
// with every kind of token and checks that no token appears in an answer
// or in the debug log.
func TestTokensNeverShow(t *testing.T) {
	logs := &syncBuffer{}
	s := startAccessServer(t, server.Config{Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	addr := strings.TrimPrefix(s.URL, "http://")
	tokens := []string{readerToken, operatorToken, adminToken, unknownToken}
	var answers strings.Builder
	for _, token := range tokens {
		for _, path := range []string{fleetURLPath("f1"), fleetURLPath("f1") + "/", fleetURLPath("f1") + "/members/..", "/nothing", "/readyz"} {
			for _, m := range []string{"GET", "PUT", "DELETE"} {
				a := send(t, addr, m, path+apiVersionQuery, token, `{"location":"eastus"}`)
				fmt.Fprintf(&answers, "%v %s\n", a.header, a.body)
			}
		}
	}
	s.Shutdown()
	for _, token := range tokens {
		if strings.Contains(answers.String(), token) {
			t.Errorf("an answer shows token %q", token)
		}
		if strings.Contains(logs.String(), token) {
			t.Errorf("the log shows token %q", token)
		}
	}
	if !strings.Contains(logs.String(), `"status":403`) || !strings.Contains(logs.String(), `"status":400`) {
		t.Fatalf("the requests were not logged:\n%s", logs)
	}
}
