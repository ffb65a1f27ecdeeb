package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/caravan-dev/caravan/fleet"
)

// readBody reads a request body up to the limit; a larger body is a 413.
func (a *API) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, errTooLarge{limit: a.cfg.MaxBodyBytes}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil, errBodyTimeout{}
	}
	if err != nil {
		return nil, fleet.Invalid("", "cannot read the request body: %v", err)
	}
	if err := checkFields(r, body); err != nil {
		return nil, err
	}
	return body, nil
}

// errBodyTimeout is a body that did not arrive within the server's read
// timeout: a 408, and the connection is closed.
type errBodyTimeout struct{}

func (errBodyTimeout) Error() string {
	return "the request body did not arrive within the server's read timeout; send the whole request at once"
}

type errTooLarge struct{ limit int64 }

func (e errTooLarge) Error() string {
	return fmt.Sprintf("the request body is larger than the limit of %d bytes", e.limit)
}

// readOnly are the properties of a resource that only the server sets.
// A client that reads a resource, changes it and sends it back (as every
// ARM SDK and infrastructure-as-code tool does) sends them too; they are
// dropped before decoding, whatever they hold, as ARM drops them.
var readOnly = [][]string{
	{"id"}, {"name"}, {"type"}, {"systemData"}, {"eTag"}, {"etag"},
	{"properties", "provisioningState"},
	{"properties", "status"},
	{"properties", "cluster"},
	{"properties", "autoUpgradeProfileStatus"},
	{"properties", "autoUpgradeProfileId"},
}

// dropReadOnly removes the read-only properties from a parsed body.
func dropReadOnly(obj map[string]any) {
	for _, path := range readOnly {
		m := obj
		for i, k := range path {
			key, ok := findKey(m, k)
			if !ok {
				break
			}
			if i == len(path)-1 {
				delete(m, key)
				break
			}
			next, ok := m[key].(map[string]any)
			if !ok {
				break
			}
			m = next
		}
	}
}

// findKey finds a property case-insensitively, as encoding/json matches
// them.
func findKey(m map[string]any, k string) (string, bool) {
	if _, ok := m[k]; ok {
		return k, true
	}
	for key := range m {
		if strings.EqualFold(key, k) {
			return key, true
		}
	}
	return "", false
}

// decode parses a JSON body into v, the way ARM does: unknown properties
// are rejected with their path, so a misspelled field never passes
// silently; read-only properties a client sends back (id, name, type,
// systemData, eTag, provisioningState, status, cluster) are dropped
// unread, and timestamps anywhere are RFC 3339 strings.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return fleet.Invalid("", "the request body is empty; send the resource as JSON")
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return fleet.Invalid("", "the request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return fleet.Invalid("", "the request body holds more than one JSON value")
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return fleet.Invalid("", "the request body must be a JSON object")
	}
	dropReadOnly(obj)
	if path, problem := checkShape(raw, reflect.TypeOf(v), ""); path != "" {
		return &fleet.Error{Kind: fleet.KindInvalid, Code: "InvalidRequestContent", Field: path, Message: path + ": " + problem}
	}
	clean, err := json.Marshal(obj)
	if err != nil {
		return fleet.Invalid("", "the request body cannot be read: %v", err)
	}
	if err := json.Unmarshal(clean, v); err != nil {
		return fleet.Invalid("", "the request body does not match the resource: %v", err)
	}
	return nil
}

// checkShape returns the path of the first value in raw that the Go type t
// cannot hold, and what is wrong with it: a property t does not define, or
// a value of the wrong JSON type. Keys are visited in sorted order, so the
// answer is the same every time.
func checkShape(raw any, t reflect.Type, path string) (string, string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if raw == nil || t.Kind() == reflect.Interface {
		return "", ""
	}
	if t == reflect.TypeOf(json.RawMessage{}) {
		return "", ""
	}
	if t == reflect.TypeOf(time.Time{}) {
		s, ok := raw.(string)
		if !ok {
			return nonEmpty(path), fmt.Sprintf("want an RFC 3339 timestamp such as \"2025-03-01T12:00:00Z\", got %s", describeValue(raw))
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return nonEmpty(path), fmt.Sprintf("%q is not an RFC 3339 timestamp such as \"2025-03-01T12:00:00Z\"", s)
		}
		return "", ""
	}
	wrong := func() (string, string) {
		return nonEmpty(path), fmt.Sprintf("want %s, got %s", describeType(t), describeValue(raw))
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := raw.(map[string]any)
		if !ok {
			return wrong()
		}
		fields := jsonFields(t)
		for _, k := range sortedKeys(obj) {
			ft, ok := fields[strings.ToLower(k)]
			if !ok {
				return join(path, k), "unknown property; check its spelling and the api-version (see docs/api.md for the properties caravan accepts)"
			}
			if p, msg := checkShape(obj[k], ft, join(path, k)); p != "" {
				return p, msg
			}
		}
	case reflect.Map:
		obj, ok := raw.(map[string]any)
		if !ok {
			return wrong()
		}
		for _, k := range sortedKeys(obj) {
			if p, msg := checkShape(obj[k], t.Elem(), join(path, k)); p != "" {
				return p, msg
			}
		}
	case reflect.Slice, reflect.Array:
		arr, ok := raw.([]any)
		if !ok {
			return wrong()
		}
		for i, e := range arr {
			if p, msg := checkShape(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p, msg
			}
		}
	case reflect.String:
		if _, ok := raw.(string); !ok {
			return wrong()
		}
	case reflect.Bool:
		if _, ok := raw.(bool); !ok {
			return wrong()
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := raw.(json.Number)
		if !ok {
			return wrong()
		}
		i, err := n.Int64()
		if err != nil || reflect.Zero(t).OverflowInt(i) {
			return nonEmpty(path), fmt.Sprintf("%s is not a whole number in range", n)
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := raw.(json.Number); !ok {
			return wrong()
		}
	}
	return "", ""
}

func nonEmpty(path string) string {
	if path == "" {
		return "(body)"
	}
	return path
}

func describeValue(v any) string {
	switch v.(type) {
	case string:
		return "a JSON string"
	case json.Number:
		return "a JSON number"
	case bool:
		return "a JSON boolean"
	case []any:
		return "a JSON array"
	case map[string]any:
		return "a JSON object"
	}
	return "JSON null"
}

// jsonFields maps the lower-cased JSON names of a struct's fields to their
// types; fields of embedded structs count, and the outer struct's own
// fields win, as in encoding/json.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Tag.Get("json") == "" && f.Type.Kind() == reflect.Struct {
			for k, v := range jsonFields(f.Type) {
				out[k] = v
			}
		}
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() || (f.Anonymous && name == "") {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[strings.ToLower(name)] = f.Type
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}
