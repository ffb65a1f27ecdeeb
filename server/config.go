package server

import (
	"log/slog"
	"time"

	"github.com/caravan-dev/caravan/autoupgrade"
)

// Config is how caravan serve runs. The zero value serves on 127.0.0.1
// with an SQLite store in ./caravan-data, against Azure.
type Config struct {
	// Addr is the address to listen on (default 127.0.0.1:8080; port 0
	// picks a free port).
	Addr string
	// DataDir holds the SQLite database and the generated admin token
	// (default ./caravan-data). It is created if missing.
	DataDir string
	// DB, if set, is a postgres:// URL: the store lives there instead.
	DB string
	// TLSCert and TLSKey, if both set, serve HTTPS.
	TLSCert, TLSKey string

	// Token is an admin token accepted in clear (CARAVAN_TOKEN).
	Token string
	// TokenFile lists callers by token hash and role.
	TokenFile string

	// Simulate hosts a simulated AKS cloud on the same endpoint, and
	// upgrades its clusters unless ARMEndpoint points elsewhere.
	Simulate bool
	// SimSeed is a seed file of simulated clusters to create at start.
	SimSeed string
	// SimSpeed divides the simulated cloud's realistic durations
	// (default 1).
	SimSpeed float64
	// SimFaultRate is the share of simulated-cloud requests answered with
	// a transient error.
	SimFaultRate float64
	// SimRetryAfterSeconds makes the simulated cloud say when to poll in
	// whole seconds only, as ARM does (simcloud.Options.RetryAfterSeconds).
	SimRetryAfterSeconds bool

	// ARMEndpoint is the Azure Resource Manager endpoint clusters are
	// upgraded through (default: Azure's, or this server with Simulate).
	ARMEndpoint string
	// ARMToken is a static bearer token for ARMEndpoint
	// (CARAVAN_ARM_TOKEN); without it, Azure's DefaultAzureCredential is
	// used.
	ARMToken string

	// PublicURL is the URL callers reach the server at, such as
	// https://caravan.example.com, when it differs from the listener's
	// (behind a proxy); list pages' nextLink links are built from it,
	// never from the Host header a caller sends.
	PublicURL string

	// ReadTimeout bounds reading a whole request, body included (default
	// DefaultReadTimeout): a caller that announces a body and never sends
	// it is answered 408 and disconnected.
	ReadTimeout time.Duration
	// MaxConnections caps the connections served at once (default
	// DefaultMaxConnections; negative: no cap).
	MaxConnections int
	// MaxCallerRequests caps the requests one caller has in flight at
	// once; past it the caller gets 429 with Retry-After (default
	// DefaultMaxCallerRequests; negative: no cap).
	MaxCallerRequests int

	// RecheckInterval is how often Pending members are checked again
	// (default 30s).
	RecheckInterval time.Duration
	// AutoUpgradeInterval is how often the catalogs are read for releases
	// that auto-upgrade profiles take. Zero means 5s against the hosted
	// simulated cloud and DefaultAutoUpgradeInterval against any other
	// endpoint: each check reads every member cluster of every enabled
	// profile, which Azure's request limits would not bear every few
	// seconds.
	AutoUpgradeInterval time.Duration
	// ShutdownTimeout bounds the graceful shutdown (default 10s).
	ShutdownTimeout time.Duration
	// LeaseTTL and LeaseInterval are the run leases' time to live and
	// how often they are renewed and the database scanned for runs
	// without an owner, when several servers share one PostgreSQL
	// database (defaults engine.DefaultLeaseTTL and a third of it).
	LeaseTTL, LeaseInterval time.Duration

	// MetricsRequireToken makes /metrics need a bearer token (any role);
	// without it, /metrics is open like the health endpoints.
	MetricsRequireToken bool
	// EventRetention is how long the events of runs are kept (default
	// 30 days).
	EventRetention time.Duration
	// WebhookFile, if set, lists the webhook subscriptions (see package
	// webhook).
	WebhookFile string

	Logger *slog.Logger
}

// DefaultAutoUpgradeInterval is how often a server that drives a cloud
// other than its hosted simulated one reads the catalogs for auto-upgrade.
const DefaultAutoUpgradeInterval = 5 * time.Minute

// DefaultAddr and DefaultDataDir are the defaults of Addr and DataDir.
const (
	DefaultAddr    = "127.0.0.1:8080"
	DefaultDataDir = "caravan-data"
)

func (c *Config) defaults() {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.SimSpeed <= 0 {
		c.SimSpeed = 1
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.MaxConnections == 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.MaxCallerRequests == 0 {
		c.MaxCallerRequests = DefaultMaxCallerRequests
	}
	if c.AutoUpgradeInterval <= 0 {
		c.AutoUpgradeInterval = DefaultAutoUpgradeInterval
		if c.Simulate && c.ARMEndpoint == "" {
			c.AutoUpgradeInterval = autoupgrade.DefaultInterval
		}
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}
