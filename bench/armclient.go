package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
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

// throttledTries is how many times a request the server throttles (429)
// is sent before the benchmark gives up.
const throttledTries = 20

// do sends a request and decodes a 2xx answer into out (when not nil); any
// other answer is an error carrying the API's message. A request the
// server throttles (429) is sent again after its Retry-After, as ARM
// clients do: a scenario that starts many runs at once meets the server's
// limit on requests in flight per caller. It returns how many bytes the
// answer had.
func (c *armClient) do(ctx context.Context, method, path string, body, out any) (int, error) {
	return c.request(ctx, method, path, body, out, nil)
}

// get is do for a GET whose answer is read into *buf, grown when it is too
// small and kept for the next: the probe reads a large run's document
// ten times a second, and a new buffer each time would be zeroed in full.
func (c *armClient) get(ctx context.Context, path string, buf *[]byte) (int, error) {
	return c.request(ctx, "GET", path, nil, nil, buf)
}

// request is do with the buffer of get (nil: a new one).
func (c *armClient) request(ctx context.Context, method, path string, body, out any, buf *[]byte) (int, error) {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return 0, fmt.Errorf("error encoding the body of %s %s: %w", method, path, err)
		}
	}
	for try := 1; ; try++ {
		status, retryAfter, data, err := c.send(ctx, method, path, b, buf)
		if err != nil {
			return 0, err
		}
		if status == http.StatusTooManyRequests && try < throttledTries {
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-time.After(retryAfter):
				continue
			}
		}
		return c.answer(method, path, status, data, out)
	}
}

// send sends one request and reads its answer, with the wait a 429 asks
// for (a second when it names none).
func (c *armClient) send(ctx context.Context, method, path string, body []byte, buf *[]byte) (status int, retryAfter time.Duration, data []byte, err error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path+"?api-version="+apiVersion, rd)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("error building %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("error calling %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err = readBody(resp, buf)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("error reading the answer to %s %s: %w", method, path, err)
	}
	retryAfter = time.Second
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs >= 0 {
		retryAfter = time.Duration(secs) * time.Second
	}
	return resp.StatusCode, retryAfter, data, nil
}

// answer decodes a 2xx answer into out, or turns another into an error.
func (c *armClient) answer(method, path string, status int, data []byte, out any) (int, error) {
	if status/100 != 2 {
		return len(data), fmt.Errorf("%s %s answered %d: %s", method, path, status, bytes.TrimSpace(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return len(data), fmt.Errorf("error decoding the answer to %s %s: %w", method, path, err)
		}
	}
	return len(data), nil
}

// readBody reads an answer's body, in one buffer of the length the answer
// gives when it gives one (a 10,000-member run's document is megabytes):
// *buf when it is large enough, and then kept there (buf may be nil).
func readBody(resp *http.Response, buf *[]byte) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= maxBody {
		var data []byte
		if buf != nil && int64(cap(*buf)) >= n {
			data = (*buf)[:n]
		} else {
			data = make([]byte, n)
			if buf != nil {
				*buf = data
			}
		}
		if _, err := io.ReadFull(resp.Body, data); err != nil {
			return nil, err
		}
		return data, nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err == nil && len(data) > maxBody {
		err = fmt.Errorf("the answer is longer than %d bytes", maxBody)
	}
	return data, err
}

// maxBody bounds what the benchmark reads of an answer.
const maxBody = 256 << 20
