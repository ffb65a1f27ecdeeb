package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// apiVersion is the Fleet API version the benchmark speaks: one that
// defines maxConcurrency, which its strategies use.
const apiVersion = "2026-03-02-preview"

// armClient calls the Fleet API with a bearer token, as any ARM client
// does.
type armClient struct {
	base  string
	token string
	http  *http.Client
}

func newARMClient(base, token string) *armClient {
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	return &armClient{base: base, token: token, http: &http.Client{Transport: tr}}
}

func (c *armClient) close() { c.http.CloseIdleConnections() }

// do sends a request and decodes a 2xx answer into out (when not nil); any
// other answer is an error carrying the API's message. It returns how many
// bytes the answer had.
func (c *armClient) do(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("error encoding the body of %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path+"?api-version="+apiVersion, rd)
	if err != nil {
		return 0, fmt.Errorf("error building %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("error calling %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("error reading the answer to %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return len(data), fmt.Errorf("%s %s answered %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return len(data), fmt.Errorf("error decoding the answer to %s %s: %w", method, path, err)
		}
	}
	return len(data), nil
}
