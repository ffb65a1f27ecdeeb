package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/caravan-dev/caravan/store/postgres/pgtest"
)

// binary is the caravan binary built for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "caravan-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "caravan")
	build := exec.Command("go", "build", "-o", binary, "../cmd/caravan")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "cannot build caravan:", err)
		os.Exit(1)
	}
	// Tests that need PostgreSQL start a throwaway server through pgtest.
	pgtest.MainThen(m, func() { os.RemoveAll(dir) })
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// process is a caravan process.
type process struct {
	cmd    *exec.Cmd
	out    *bytes.Buffer
	exited chan error
}

// start runs caravan with args and env and waits until it answers
// /healthz on addr.
func start(t *testing.T, addr string, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, out: out, exited: make(chan error, 1)}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case err := <-p.exited:
			t.Fatalf("caravan %v exited before serving: %v\n%s", args, err, out)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("caravan %v did not serve on %s in 20s\n%s", args, addr, out)
		}
	}
}

// simulatedPair starts a `caravan simulate` and returns its address, the
// address a `caravan serve` against it listens on, and serve, which
// starts that server (again, after a kill) on the data directory data
// with the given extra flags.
func simulatedPair(t *testing.T, data string, flags ...string) (simAddr, srvAddr string, serve func() *process) {
	t.Helper()
	simAddr, srvAddr = freeAddr(t), freeAddr(t)
	start(t, simAddr, []string{"CARAVAN_TOKEN=sim-secret"}, "simulate", "--addr", simAddr)
	serve = func() *process {
		args := append([]string{"serve", "--addr", srvAddr, "--data", data, "--arm-endpoint", "http://" + simAddr}, flags...)
		return start(t, srvAddr, []string{"CARAVAN_TOKEN=secret", "CARAVAN_ARM_TOKEN=sim-secret"}, args...)
	}
	return simAddr, srvAddr, serve
}

// kill ends the process with SIGKILL and waits for it.
func (p *process) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	select {
	case <-p.exited:
	case <-ctx.Done():
	}
}

// simOpRecord is an operation in the simulated cloud's record, with its
// request's id and its times.
type simOpRecord struct {
	OperationID, Cluster, AgentPool, Kind, Target, Result string
	Start, End                                            time.Time
}

// simOperationRecords reads the simulated cloud's record of operations.
func simOperationRecords(t *testing.T, addr string) []simOpRecord {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+"/simulator/operations", nil)
	req.Header.Set("Authorization", "Bearer sim-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ops []simOpRecord
	if err := json.NewDecoder(resp.Body).Decode(&ops); err != nil {
		t.Fatal(err)
	}
	return ops
}
