package aks

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Defaults for the zero fields of Config.
const (
	DefaultMaxRetries      = 4
	DefaultRetryDelay      = 800 * time.Millisecond
	DefaultMaxRetryDelay   = 60 * time.Second
	DefaultPollInitial     = 100 * time.Millisecond
	DefaultPollMax         = 15 * time.Second
	DefaultOfferTTL        = 30 * time.Second
	DefaultResultRetention = time.Hour
	// DefaultMaxInFlight is how many requests the provider has in flight
	// at once unless Config.MaxInFlight says otherwise.
	DefaultMaxInFlight = 64
	// DefaultAudience is the token audience of Azure Resource Manager in
	// the public cloud, used for any endpoint unless Config.Audience says
	// otherwise.
	DefaultAudience = "https://management.core.windows.net/"
)

// Config configures a Provider. Only Credential is required.
type Config struct {
	// Endpoint is the ARM endpoint, such as https://management.azure.com
	// or http://127.0.0.1:8443 for a simulated cloud. Empty means the
	// Azure public cloud.
	Endpoint string
	// Audience is the audience of the tokens the credential is asked for.
	// Empty means DefaultAudience.
	Audience string
	// Credential authorizes every request: a DefaultAzureCredential for
	// real Azure, StaticToken for a simulated cloud.
	Credential azcore.TokenCredential
	// AllowInsecureHTTP lets the credential travel over plain http to an
	// endpoint that is not on the loopback interface. Plain http to a
	// loopback endpoint is always allowed.
	AllowInsecureHTTP bool

	// Retry says how requests are retried on throttling (429) and server
	// faults (408, 500, 502, 503, 504). A Retry-After, retry-after-ms or
	// x-ms-retry-after-ms header sets the delay when present.
	Retry Retry
	// Poll says how often long-running operations and busy clusters are
	// looked at.
	Poll Poll

	// OfferTTL is how long the versions a region offers and the newest
	// node image of a family are cached. Zero means DefaultOfferTTL; a
	// negative value disables the cache.
	OfferTTL time.Duration
	// NodeImageAPIVersion, when set, is the api-version used for agent
	// pool updates that pin nodeImageVersion. Real Azure accepts a
	// writable nodeImageVersion only in preview API versions; the
	// simulated cloud accepts it in 2025-02-01, the default.
	NodeImageAPIVersion string
	// ResultRetention is how long the outcome of a finished operation is
	// remembered so that a repeated Upgrade with its id reports it
	// instead of beginning anew. Zero means DefaultResultRetention.
	ResultRetention time.Duration

	// MaxInFlight caps the requests in flight at once, retries included;
	// more wait their turn before they are sent. An engine begins and
	// reads hundreds of clusters at once when many runs start together:
	// each request in flight holds a goroutine's grown stack and its
	// buffers, so past what the endpoint serves at once (ARM throttles a
	// subscription's bursts long before) they only hold memory. Zero
	// means DefaultMaxInFlight; a negative value means no cap.
	MaxInFlight int

	// Transport sends the HTTP requests; nil means the SDK's default.
	Transport policy.Transporter
	// ObserveRequest, if set, is told of every HTTP try (see
	// RequestObserver).
	ObserveRequest RequestObserver
	// Now is the clock for caches and retention; nil means time.Now.
	Now func() time.Time
}

// Retry configures the SDK's retry policy.
type Retry struct {
	// MaxRetries is how many times a failed request is retried. Zero
	// means DefaultMaxRetries; a negative value means no retries.
	MaxRetries int32
	// Delay is the first delay between tries when the server gives none;
	// it doubles on each try, up to MaxDelay. Zero means DefaultRetryDelay.
	Delay time.Duration
	// MaxDelay caps the delay between tries, including one the server
	// asks for. Zero means DefaultMaxRetryDelay.
	MaxDelay time.Duration
	// TryTimeout bounds one try; zero means no bound.
	TryTimeout time.Duration
}

// Poll configures polling. There is no fixed floor: the server's
// Retry-After (or retry-after-ms, x-ms-retry-after-ms) decides when it
// gives one; otherwise the interval starts at Initial and grows by half
// on each look up to Max.
type Poll struct {
	Initial time.Duration
	Max     time.Duration
}

// withDefaults returns the config with every zero field at its default.
func (c Config) withDefaults() Config {
	if c.Audience == "" {
		c.Audience = DefaultAudience
	}
	switch {
	case c.Retry.MaxRetries == 0:
		c.Retry.MaxRetries = DefaultMaxRetries
	case c.Retry.MaxRetries < 0:
		c.Retry.MaxRetries = -1
	}
	if c.Retry.Delay == 0 {
		c.Retry.Delay = DefaultRetryDelay
	}
	if c.Retry.MaxDelay == 0 {
		c.Retry.MaxDelay = DefaultMaxRetryDelay
	}
	if c.Poll.Initial <= 0 {
		c.Poll.Initial = DefaultPollInitial
	}
	if c.Poll.Max <= 0 {
		c.Poll.Max = DefaultPollMax
	}
	if c.Poll.Max < c.Poll.Initial {
		c.Poll.Max = c.Poll.Initial
	}
	if c.OfferTTL == 0 {
		c.OfferTTL = DefaultOfferTTL
	}
	if c.ResultRetention <= 0 {
		c.ResultRetention = DefaultResultRetention
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// validate checks the config and reports whether requests may carry the
// credential over plain http.
func (c Config) validate() (insecureHTTP bool, err error) {
	if c.Credential == nil {
		return false, errors.New("error configuring the AKS provider: no credential: use StaticToken for a simulated cloud or azidentity.NewDefaultAzureCredential for Azure")
	}
	if c.Endpoint == "" {
		return false, nil
	}
	u, err := url.Parse(c.Endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false, fmt.Errorf("error configuring the AKS provider: endpoint %q is not an http or https URL such as https://management.azure.com", c.Endpoint)
	}
	if u.Scheme == "https" {
		return false, nil
	}
	if c.AllowInsecureHTTP || isLoopback(u.Hostname()) {
		return true, nil
	}
	return false, fmt.Errorf("error configuring the AKS provider: endpoint %s uses plain http on a host that is not loopback, which would send the credential in clear text; use https, or allow it explicitly (Config.AllowInsecureHTTP, CARAVAN_ARM_INSECURE_HTTP=true)", c.Endpoint)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
