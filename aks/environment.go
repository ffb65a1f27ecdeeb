package aks

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// The environment variables ConfigFromEnvironment reads.
const (
	EnvEndpoint            = "CARAVAN_ARM_ENDPOINT"
	EnvToken               = "CARAVAN_ARM_TOKEN"
	EnvInsecureHTTP        = "CARAVAN_ARM_INSECURE_HTTP"
	EnvMaxRetries          = "CARAVAN_ARM_MAX_RETRIES"
	EnvPollMax             = "CARAVAN_ARM_POLL_MAX"
	EnvMaxInFlight         = "CARAVAN_ARM_MAX_IN_FLIGHT"
	EnvNodeImageAPIVersion = "CARAVAN_AKS_NODE_IMAGE_API_VERSION"
)

// NewFromEnvironment returns a provider configured by the process's
// environment (see ConfigFromEnvironment).
func NewFromEnvironment() (*Provider, error) {
	cfg, err := ConfigFromEnvironment(os.Getenv)
	if err != nil {
		return nil, err
	}
	return New(cfg)
}

// ConfigFromEnvironment builds a Config from environment variables:
//
//	CARAVAN_ARM_ENDPOINT                ARM endpoint; empty means Azure's public cloud
//	CARAVAN_ARM_TOKEN                   static bearer token (a simulated cloud); empty
//	                                    means azidentity's DefaultAzureCredential
//	CARAVAN_ARM_INSECURE_HTTP           "true" allows plain http to a non-loopback endpoint
//	CARAVAN_ARM_MAX_RETRIES             retries per request (0 or negative: none)
//	CARAVAN_ARM_POLL_MAX                longest polling interval, such as 15s
//	CARAVAN_ARM_MAX_IN_FLIGHT           requests in flight at once (default 64;
//	                                    negative: no cap)
//	CARAVAN_AKS_NODE_IMAGE_API_VERSION  api-version for agent pool updates that pin
//	                                    nodeImageVersion (a preview version on Azure)
func ConfigFromEnvironment(getenv func(string) string) (Config, error) {
	cfg := Config{
		Endpoint:            getenv(EnvEndpoint),
		NodeImageAPIVersion: getenv(EnvNodeImageAPIVersion),
	}
	if s := getenv(EnvInsecureHTTP); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return Config{}, fmt.Errorf("error reading %s: %q is not true or false", EnvInsecureHTTP, s)
		}
		cfg.AllowInsecureHTTP = b
	}
	if s := getenv(EnvMaxRetries); s != "" {
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return Config{}, fmt.Errorf("error reading %s: %q is not a whole number", EnvMaxRetries, s)
		}
		cfg.Retry.MaxRetries = int32(n)
		if n == 0 {
			cfg.Retry.MaxRetries = -1
		}
	}
	if s := getenv(EnvPollMax); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return Config{}, fmt.Errorf("error reading %s: %q is not a positive duration such as 15s", EnvPollMax, s)
		}
		cfg.Poll.Max = d
	}
	if s := getenv(EnvMaxInFlight); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n == 0 {
			return Config{}, fmt.Errorf("error reading %s: %q is not a whole number other than 0; give the most requests to have in flight at once, such as 64 (negative: no cap)", EnvMaxInFlight, s)
		}
		cfg.MaxInFlight = n
	}
	if tok := getenv(EnvToken); tok != "" {
		cfg.Credential = StaticToken(tok)
		return cfg, nil
	}
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return Config{}, fmt.Errorf("error creating the Azure credential: %w; set %s for a simulated cloud, or configure DefaultAzureCredential (az login, a managed identity or AZURE_* variables)", err, EnvToken)
	}
	cfg.Credential = cred
	return cfg, nil
}
