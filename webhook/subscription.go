package webhook

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/caravan-dev/caravan/events"
)

// Subscription is one webhook: where to send which events, and the secret
// that signs them.
type Subscription struct {
	// Name identifies the subscription in deliveries and logs.
	Name string `json:"name"`
	// URL receives the events by POST (http or https).
	URL string `json:"url"`
	// Secret signs the deliveries; SecretFile names a file holding it
	// instead (surrounding white space is ignored). One is required.
	Secret     string `json:"secret,omitempty"`
	SecretFile string `json:"secretFile,omitempty"`
	// Fleets limits the subscription to these fleets, by name or ARM id;
	// empty means every fleet.
	Fleets []string `json:"fleets,omitempty"`
	// Types limits it to these event types: a type, or a prefix ending
	// in ".*" (dev.caravan.updaterun.member.*); empty means every type.
	Types []string `json:"types,omitempty"`
}

// File is the webhook configuration file.
type File struct {
	Webhooks []Subscription `json:"webhooks"`
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// minSecret is the shortest secret accepted.
const minSecret = 16

// LoadFile reads and checks a webhook configuration file (YAML or JSON).
func LoadFile(path string) ([]Subscription, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("error reading the webhook file: %w", err)
	}
	var f File
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, fmt.Errorf("webhook file %s: %w", path, err)
	}
	for i := range f.Webhooks {
		s := &f.Webhooks[i]
		if s.SecretFile != "" && s.Secret == "" {
			b, err := os.ReadFile(s.SecretFile)
			if err != nil {
				return nil, fmt.Errorf("webhook file %s: webhooks[%d]: error reading secretFile: %w", path, i, err)
			}
			s.Secret = strings.TrimSpace(string(b))
		}
	}
	if err := Check(f.Webhooks); err != nil {
		return nil, fmt.Errorf("webhook file %s: %w", path, err)
	}
	return f.Webhooks, nil
}

// Check reports the first thing wrong with a list of subscriptions.
func Check(subs []Subscription) error {
	seen := map[string]bool{}
	for i, s := range subs {
		at := fmt.Sprintf("webhooks[%d]", i)
		if !namePattern.MatchString(s.Name) {
			return fmt.Errorf("%s.name %q: use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit", at, s.Name)
		}
		if seen[s.Name] {
			return fmt.Errorf("%s.name: %q is used twice; each webhook needs its own name", at, s.Name)
		}
		seen[s.Name] = true
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s.url %q: use an http:// or https:// URL", at, s.URL)
		}
		if len(s.Secret) < minSecret {
			if s.Secret == "" && s.SecretFile == "" {
				return fmt.Errorf("%s: set secret or secretFile: deliveries are signed with it", at)
			}
			return fmt.Errorf("%s: the secret is %d characters; use at least %d (caravan token generate makes a good one)", at, len(s.Secret), minSecret)
		}
		for j, t := range s.Types {
			if !strings.HasPrefix(t, events.TypePrefix) {
				return fmt.Errorf("%s.types[%d] %q: event types begin with %s (see docs/observability.md)", at, j, t, events.TypePrefix)
			}
		}
	}
	return nil
}

// Wants reports whether the subscription wants an event.
func (s Subscription) Wants(e *events.CloudEvent) bool {
	if len(s.Fleets) > 0 {
		ok := false
		for _, f := range s.Fleets {
			ok = ok || strings.EqualFold(f, e.Data.FleetName) || strings.EqualFold(strings.TrimRight(f, "/"), e.Data.FleetID)
		}
		if !ok {
			return false
		}
	}
	if len(s.Types) == 0 {
		return true
	}
	for _, t := range s.Types {
		if p, ok := strings.CutSuffix(t, "*"); ok && strings.HasPrefix(e.Type, p) {
			return true
		}
		if t == e.Type {
			return true
		}
	}
	return false
}

// Router names the subscriptions that want an event.
func Router(subs []Subscription) func(e *events.CloudEvent) []string {
	return func(e *events.CloudEvent) []string {
		var out []string
		for _, s := range subs {
			if s.Wants(e) {
				out = append(out, s.Name)
			}
		}
		return out
	}
}
