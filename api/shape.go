package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/caravan-dev/caravan/fleet"
)

// visit calls fn with every object at a model path in a JSON value (see
// modelPath), and that object's path with list indexes, such as
// "properties.strategy.stages[1]". Keys match case-insensitively, as
// encoding/json matches them.
func visit(node any, path string, fn func(obj map[string]any, at string)) {
	var walk func(node any, segs []string, at string)
	walk = func(node any, segs []string, at string) {
		obj, ok := node.(map[string]any)
		if !ok {
			return
		}
		if len(segs) == 0 {
			fn(obj, at)
			return
		}
		seg, list := strings.CutSuffix(segs[0], "[]")
		key, ok := findKey(obj, seg)
		if !ok {
			return
		}
		if !list {
			walk(obj[key], segs[1:], join(at, key))
			return
		}
		arr, _ := obj[key].([]any)
		for i, e := range arr {
			walk(e, segs[1:], join(at, key)+"["+strconv.Itoa(i)+"]")
		}
	}
	var segs []string
	if path != "" {
		segs = strings.Split(path, ".")
	}
	walk(node, segs, "")
}

// shapeResource removes from a resource's JSON object the fields that
// version v does not define.
func shapeResource(obj map[string]any, v apiVersion) {
	typ, _ := obj["type"].(string)
	if typ == "" {
		return
	}
	for _, r := range removals[v] {
		if !strings.EqualFold(r.resource, typ) {
			continue
		}
		visit(obj, r.path, func(o map[string]any, _ string) {
			if k, ok := findKey(o, r.field); ok {
				delete(o, k)
			}
		})
	}
}

// removes reports whether responses of version v lose any field.
func removes(v apiVersion) bool { return len(removals[v]) > 0 }

// shapeBody shapes a JSON response body for version v: a resource, or a
// list page of them. Anything else (caravan's own answers, such as a
// run's plan) is returned as it is.
func shapeBody(body []byte, v apiVersion) []byte {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return body
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return body
	}
	if list, ok := obj["value"].([]any); ok {
		for _, e := range list {
			if r, ok := e.(map[string]any); ok {
				shapeResource(r, v)
			}
		}
	} else {
		shapeResource(obj, v)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return body
	}
	return out.Bytes()
}

// shapingWriter holds a response back until the handler is done, so that
// its body can be shaped for the request's api-version.
type shapingWriter struct {
	http.ResponseWriter
	version apiVersion
	status  int
	buf     bytes.Buffer
	// shaped says the body written is shaped already (see
	// API.respondStored).
	shaped bool
}

func (s *shapingWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
}

func (s *shapingWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.buf.Write(b)
}

func (s *shapingWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// finish writes the held response, its JSON body shaped for v when it
// succeeded.
func (s *shapingWriter) finish(v apiVersion) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	body := s.buf.Bytes()
	ct, _, _ := mime.ParseMediaType(s.Header().Get("Content-Type"))
	if s.status < 300 && ct == "application/json" && len(body) > 0 && !s.shaped {
		body = shapeBody(body, v)
	}
	s.ResponseWriter.WriteHeader(s.status)
	s.ResponseWriter.Write(body)
}

// requestShape is what Serve knows of a request that its handlers need
// when they read the body: the api-version, and the resource type the
// body describes.
type requestShape struct {
	version  apiVersion
	resource string
}

type shapeKey struct{}

func withShape(ctx context.Context, s requestShape) context.Context {
	return context.WithValue(ctx, shapeKey{}, s)
}

// checkFields refuses a request body that sends a field (or an enum
// value) its api-version does not define, naming the field and the
// version that brings it, as ARM refuses a property the version's schema
// does not have. Read-only fields are left to decode, which drops them.
// A body that is not a JSON object is left to decode to refuse.
func checkFields(r *http.Request, body []byte) error {
	s, ok := r.Context().Value(shapeKey{}).(requestShape)
	if !ok || s.resource == "" {
		return nil
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&doc) != nil {
		return nil
	}
	type refusal struct{ path, msg string }
	var found []refusal
	for _, f := range fieldVersions {
		if f.ReadOnly || defines(f.Model, f.Field, f.Value, s.version) {
			continue
		}
		for _, mp := range modelPaths[f.Model] {
			if mp.resource != s.resource {
				continue
			}
			visit(doc, mp.path, func(o map[string]any, at string) {
				k, ok := findKey(o, f.Field)
				if !ok || o[k] == nil {
					return
				}
				what := "the field"
				if f.Value != "" {
					if str, _ := o[k].(string); !strings.EqualFold(str, f.Value) {
						return
					}
					what = "the value " + strconv.Quote(f.Value) + " of the field"
				}
				later, earlier := versionsFor(f.Model, f.Field, f.Value, s.version)
				msg := fmt.Sprintf("%s %s is not defined in api-version %s", what, join(at, k), s.version)
				switch {
				case later != "":
					msg += "; it comes with api-version " + later + ": send that api-version or a later one, or leave it out"
				case earlier != "":
					msg += "; api-version " + earlier + " was the last to have it: leave it out"
				}
				found = append(found, refusal{join(at, k), msg})
			})
		}
	}
	if len(found) == 0 {
		return nil
	}
	sort.Slice(found, func(i, j int) bool { return found[i].path < found[j].path })
	return &fleet.Error{Kind: fleet.KindInvalid, Code: "InvalidRequestContent", Field: found[0].path, Message: found[0].msg}
}
