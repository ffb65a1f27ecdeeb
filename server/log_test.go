package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/fleet"
	"github.com/caravan-dev/caravan/server"
)

// lockedBuffer is a buffer the server's goroutines can log to while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Every transition is a log line naming the caller who caused it.
func TestTransitionsAreLoggedWithTheirCaller(t *testing.T) {
	var logs lockedBuffer
	s, err := server.Start(context.Background(), server.Config{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), Token: "secret", Simulate: true, RecheckInterval: time.Second,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	c, ref := simRun(t, s, 1)
	if _, err := c.StartRun(context.Background(), ref, "r"); err != nil {
		t.Fatal(err)
	}
	waitState(t, c, ref, "r", fleet.Completed)
	for _, want := range []string{
		`msg="update run transition" run=r fleet=obs kind=run path="" from="" to=Created caller=admin role=admin`,
		`msg="update run transition" run=r fleet=obs kind=run path="" from=NotStarted to=Running caller=admin role=admin`,
		`msg="update run transition" run=r fleet=obs kind=member path=s/g/m0 from=Running to=Completed caller=engine message="upgraded the control plane to Kubernetes 1.31.8"`,
	} {
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(logs.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("no log line with %s in:\n%s", want, logs.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
