package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"
)

// fileConfig is the config file `caravan login` writes.
type fileConfig struct {
	// Server is the server's URL.
	Server string `json:"server,omitempty"`
	// Token is the bearer token, or TokenFile a file holding it.
	Token     string `json:"token,omitempty"`
	TokenFile string `json:"tokenFile,omitempty"`
	// Subscription and ResourceGroup are the defaults for commands that
	// leave them out.
	Subscription  string `json:"subscription,omitempty"`
	ResourceGroup string `json:"resourceGroup,omitempty"`
}

// configPath is where the config file lives.
func (e *Env) configPath() (string, error) {
	if e.ConfigPath != "" {
		return e.ConfigPath, nil
	}
	if p := e.Getenv("CARAVAN_CONFIG"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find a config directory (%v); set CARAVAN_CONFIG to a file path", err)
	}
	return filepath.Join(dir, "caravan", "config.yaml"), nil
}

// loadConfig reads the config file; a missing file is an empty config.
func loadConfig(path string) (fileConfig, error) {
	var c fileConfig
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("error reading the config file: %w", err)
	}
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return c, fmt.Errorf("config file %s is not valid: %v; fix it or run `caravan login` again", path, err)
	}
	return c, nil
}

// saveConfig writes the config file with mode 0600, replacing it whole.
func saveConfig(path string, c fileConfig) error {
	data, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("error encoding the config: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("error creating %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".config-*.yaml")
	if err != nil {
		return fmt.Errorf("error writing the config file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("error writing the config file: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("error writing the config file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("error writing the config file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("error writing the config file: %w", err)
	}
	return nil
}
