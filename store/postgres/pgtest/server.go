//go:build unix

package pgtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is a throwaway PostgreSQL cluster.
type server struct {
	dir    string // holds the data directory and the socket
	dsn    string // the superuser's connection to database postgres
	cmd    *exec.Cmd
	exited chan struct{} // closed when postgres has exited
	log    *tail
}

// readyLine is what postgres logs (with lc_messages=C) once it accepts
// connections.
const readyLine = "database system is ready to accept connections"

// startServer runs initdb in a new temporary directory and starts postgres
// on a free loopback port.
func startServer(ctx context.Context) (*server, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	owner, err := clusterOwner()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "caravan-pgtest-")
	if err != nil {
		return nil, fmt.Errorf("error creating a directory for the test PostgreSQL: %w", err)
	}
	s, err := startIn(ctx, bin, dir, owner)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func startIn(ctx context.Context, bin, dir string, owner *syscall.Credential) (*server, error) {
	if owner != nil {
		if err := os.Chown(dir, int(owner.Uid), int(owner.Gid)); err != nil {
			return nil, fmt.Errorf("error giving %s to the postgres user: %w", dir, err)
		}
	}
	data := filepath.Join(dir, "data")
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LC_ALL=C", "TZ=UTC"}

	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "--pgdata="+data, "--username=caravan",
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.Dir, initdb.Env, initdb.SysProcAttr = dir, env, processAttrs(owner)
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("error running initdb for the test PostgreSQL in %s: %w\n%s", dir, err, out)
	}

	// Another process can take the free port before postgres binds it;
	// then postgres exits and the next attempt picks another port.
	for attempt := 1; ; attempt++ {
		s, err := launch(ctx, bin, dir, data, env, owner)
		if err == nil || !errors.Is(err, errExitedAtStart) || attempt == 3 {
			return s, err
		}
	}
}

// errExitedAtStart marks a server that exited before accepting
// connections.
var errExitedAtStart = errors.New("the test PostgreSQL exited at start")

// launch starts postgres on a free port and waits until it accepts
// connections or exits.
func launch(ctx context.Context, bin, dir, data string, env []string, owner *syscall.Credential) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "lc_messages=C",
		// Nothing here needs to survive a crash.
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "shared_buffers=32MB",
		"-c", "max_connections=100")
	cmd.Dir, cmd.Env, cmd.SysProcAttr = dir, env, processAttrs(owner)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("error starting the test PostgreSQL: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("error starting the test PostgreSQL: %w", err)
	}
	s := &server{
		dir:    dir,
		dsn:    fmt.Sprintf("postgres://caravan@127.0.0.1:%d/postgres?sslmode=disable", port),
		cmd:    cmd,
		exited: make(chan struct{}),
		log:    &tail{},
	}
	ready := make(chan struct{})
	go s.watch(stderr, ready)

	timeout := time.NewTimer(time.Minute)
	defer timeout.Stop()
	select {
	case <-ready:
		return s, nil
	case <-s.exited:
		return nil, fmt.Errorf("%w (%v):\n%s", errExitedAtStart, cmd.ProcessState, s.log)
	case <-ctx.Done():
		s.halt()
		return nil, fmt.Errorf("error waiting for the test PostgreSQL to start: %w\n%s", ctx.Err(), s.log)
	case <-timeout.C:
		s.halt()
		return nil, fmt.Errorf("the test PostgreSQL did not start within a minute\n%s", s.log)
	}
}

// watch keeps the server's log, signals ready when it accepts connections
// and exited when it has gone.
func (s *server) watch(stderr io.Reader, ready chan<- struct{}) {
	lines := bufio.NewScanner(stderr)
	lines.Buffer(make([]byte, 64<<10), 1<<20)
	signalled := false
	for lines.Scan() {
		s.log.add(lines.Text())
		if !signalled && strings.Contains(lines.Text(), readyLine) {
			close(ready)
			signalled = true
		}
	}
	io.Copy(io.Discard, stderr)
	s.cmd.Wait()
	close(s.exited)
}

// stop shuts the server down and removes its directory.
func (s *server) stop() error {
	err := s.halt()
	if rmErr := os.RemoveAll(s.dir); rmErr != nil {
		err = errors.Join(err, fmt.Errorf("error removing the test PostgreSQL's directory: %w", rmErr))
	}
	return err
}

// halt shuts the server down (fast shutdown: sessions are ended) and waits
// for it to exit, killing it if it takes more than 30 seconds.
func (s *server) halt() error {
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		<-s.exited
		return nil
	}
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	select {
	case <-s.exited:
		return nil
	case <-timeout.C:
		s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("the test PostgreSQL did not shut down within 30s and was killed\n%s", s.log)
	}
}

// clusterOwner returns the credentials to run initdb and postgres with:
// nil to run them as the current user, the postgres user's when the
// current user is root (PostgreSQL refuses to run as root).
func clusterOwner() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("%w: the tests run as root, PostgreSQL refuses to, and there is no postgres user to run it as (%v); install PostgreSQL (apt-get install postgresql) or run the tests as another user", errUnavailable, err)
	}
	uid, uidErr := strconv.ParseUint(u.Uid, 10, 32)
	gid, gidErr := strconv.ParseUint(u.Gid, 10, 32)
	if uidErr != nil || gidErr != nil {
		return nil, fmt.Errorf("the postgres user has ids %s:%s, which are not numbers", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// freePort returns a loopback TCP port nothing listens on.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("error finding a free port for the test PostgreSQL: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail keeps the last lines of the server's log for error messages.
type tail struct {
	mu    sync.Mutex
	lines []string
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > 50 {
		t.lines = t.lines[len(t.lines)-50:]
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}
