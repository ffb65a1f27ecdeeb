package cli

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lineWatch is a writer that reports the first line containing a marker.
type lineWatch struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	found  chan string
	done   bool
}

func newLineWatch(marker string) *lineWatch {
	return &lineWatch{marker: marker, found: make(chan string, 1)}
}

func (w *lineWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.done {
		for _, line := range strings.Split(w.buf.String(), "\n") {
			if strings.Contains(line, w.marker) {
				w.done = true
				w.found <- line
				break
			}
		}
	}
	return len(p), nil
}

func (w *lineWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// background runs a long-lived command (serve, simulate, demo --keep)
// until the test cancels it. It returns once the command's stdout (or
// stderr) shows a line holding marker, with that line, everything written
// there so far, and a function that stops the command and returns its
// exit code.
func background(t *testing.T, env map[string]string, marker string, inStdout bool, args ...string) (string, *lineWatch, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := newLineWatch(marker)
	var other bytes.Buffer
	e := Env{
		Stdin:    strings.NewReader(""),
		Getenv:   func(k string) string { return env[k] },
		Location: time.UTC,
		Terminal: func(io.Writer) (int, int, bool) { return 0, 0, false },
	}
	if inStdout {
		e.Stdout, e.Stderr = w, &other
	} else {
		e.Stdout, e.Stderr = &other, w
	}
	codes := make(chan int, 1)
	go func() { codes <- Run(ctx, args, e) }()
	var line string
	select {
	case line = <-w.found:
	case code := <-codes:
		cancel()
		t.Fatalf("%v ended with %d before %q:\n%s\n%s", args, code, marker, w.String(), other.String())
	}
	var once sync.Once
	var code int
	stop := func() int {
		once.Do(func() {
			cancel()
			code = <-codes
		})
		return code
	}
	t.Cleanup(func() { stop() })
	return line, w, stop
}

var urlAttr = regexp.MustCompile(`url=(\S+)`)

// TestSimulateAndServe runs caravan simulate and caravan serve
// --arm-endpoint in-process, as two processes would, and upgrades a
// cluster of the stand-alone simulated cloud through the server.
func TestSimulateAndServe(t *testing.T) {
	seed := writeFile(t, "seed.yaml", "clusters:\n  - name: alpha\n    resourceGroup: aks\n    region: westeurope\n    kubernetesVersion: \"1.31\"\n    tags: {sim-upgrade-seconds: \"0.2\"}\n")
	line, _, stopSim := background(t, map[string]string{"CARAVAN_TOKEN": "sim-token"}, "the simulated cloud is serving", false,
		"simulate", "--addr", "127.0.0.1:0", "--seed", seed)
	simURL := urlAttr.FindStringSubmatch(line)[1]

	line, _, stopServe := background(t, map[string]string{"CARAVAN_TOKEN": "admin-token", "CARAVAN_ARM_TOKEN": "sim-token"}, "caravan is serving", false,
		"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--arm-endpoint", simURL, "--log-level", "info")
	env := map[string]string{"CARAVAN_ADDR": urlAttr.FindStringSubmatch(line)[1], "CARAVAN_TOKEN": "admin-token", "CARAVAN_RESOURCE_GROUP": "rg"}

	runWith(t, env, "fleet", "create", "-n", "f1", "-l", "westeurope").ok(t)
	runWith(t, env, "member", "create", "-f", "f1", "-n", "alpha", "--cluster-id", "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/aks/providers/Microsoft.ContainerService/managedClusters/alpha").ok(t)
	runWith(t, env, "updaterun", "create", "-f", "f1", "-n", "r1", "--upgrade-type", "Full", "--kubernetes-version", "1.32").ok(t)
	runWith(t, env, "updaterun", "start", "-f", "f1", "-n", "r1").ok(t)
	runWith(t, env, "updaterun", "wait", "-f", "f1", "-n", "r1").ok(t)
	if code := stopServe(); code != 0 {
		t.Errorf("serve exited %d after the signal", code)
	}
	if code := stopSim(); code != 0 {
		t.Errorf("simulate exited %d after the signal", code)
	}
}

// TestSimulateGeneratesToken checks that simulate without a token makes
// one and says how to use it.
func TestSimulateGeneratesToken(t *testing.T) {
	line, _, stop := background(t, nil, "CARAVAN_ARM_TOKEN=cvn_", true, "simulate", "--addr", "127.0.0.1:0")
	if !strings.Contains(line, "caravan serve --arm-endpoint http://127.0.0.1:") {
		t.Errorf("simulate said %q", line)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit %d", code)
	}
}

func TestServeRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--log-level", "loud"},
		{"serve", "--sim-seed", "x.yaml"},
		{"simulate", "--fault-rate", "2"},
	} {
		if r := runWith(t, nil, args...); r.code != ExitUsage {
			t.Errorf("%v: exit %d %s", args, r.code, r.stderr)
		}
	}
	r := runWith(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--db", "mysql://x")
	if r.code != ExitError || !strings.Contains(r.stderr, "is not a PostgreSQL URL") {
		t.Errorf("bad --db: %d %s", r.code, r.stderr)
	}
}
