package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/caravan-dev/caravan/fleet"
)

// readBody reads a request body up to the limit; a larger body is a 413.
func (a *API) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, errTooLarge{limit: a.cfg.MaxBodyBytes}
	}
	if err != nil {
		return nil, fleet.Invalid("", "cannot read the request body: %v", err)
	}
	return body, nil
}

type errTooLarge struct{ limit int64 }

func (e errTooLarge) Error() string {
	return fmt.Sprintf("the request body is larger than the limit of %d bytes", e.limit)
}

// decode parses a JSON body into v, the way ARM does: unknown properties
// are rejected with their path, so a misspelled field never passes
// silently; read-only properties a client sends back (id, status, eTag...)
// are accepted and ignored by the handlers.
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
	if _, ok := raw.(map[string]any); !ok {
		return fleet.Invalid("", "the request body must be a JSON object")
	}
	if path := unknownField(raw, reflect.TypeOf(v), ""); path != "" {
		return &fleet.Error{Kind: fleet.KindInvalid, Code: "InvalidRequestContent", Field: path,
			Message: path + ": unknown property; check its spelling and the api-version (see docs/api.md for the properties caravan accepts)"}
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := jsonPath(te.Field)
			return &fleet.Error{Kind: fleet.KindInvalid, Code: "InvalidRequestContent", Field: field,
				Message: fmt.Sprintf("%s: want %s, got a JSON %s", field, describeType(te.Type), te.Value)}
		}
		return fleet.Invalid("", "the request body does not match the resource: %v", err)
	}
	return nil
}

// unknownField returns the path of the first property in raw that the Go
// type t does not define, in sorted key order, or "".
func unknownField(raw any, t reflect.Type, path string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch v := raw.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Map:
			for _, k := range sortedKeys(v) {
				if p := unknownField(v[k], t.Elem(), join(path, k)); p != "" {
					return p
				}
			}
		case reflect.Struct:
			fields := jsonFields(t)
			for _, k := range sortedKeys(v) {
				ft, ok := fields[strings.ToLower(k)]
				if !ok {
					return join(path, k)
				}
				if p := unknownField(v[k], ft, join(path, k)); p != "" {
					return p
				}
			}
		}
	case []any:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for i, e := range v {
				if p := unknownField(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); p != "" {
					return p
				}
			}
		}
	}
	return ""
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

// jsonPath turns encoding/json's "a.b.0.c" into "a.b[0].c".
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	var b strings.Builder
	for i, p := range parts {
		if _, err := strconv.Atoi(p); err == nil && i > 0 {
			b.WriteString("[" + p + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
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
