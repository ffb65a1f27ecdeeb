package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/caravan-dev/caravan/fleet"
)

// readStages reads a stages file in the format az fleet uses,
// {"stages":[{"name":...,"groups":[{"name":...}],"afterStageWaitInSeconds":...}]},
// as JSON (or YAML for .yaml and .yml files), and checks it. Errors start
// with the file's name and the JSON path of the problem, such as
// "stages.json: stages[1].groups[0].name: ...".
func readStages(path string) (*fleet.RunStrategy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the stages file: %w", err)
	}
	name := filepath.Base(path)
	s, err := parseStages(data, strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

// parseStages parses and checks a stages document.
func parseStages(data []byte, isYAML bool) (*fleet.RunStrategy, error) {
	if isYAML {
		j, err := yaml.YAMLToJSON(data)
		if err != nil {
			return nil, fmt.Errorf("not valid YAML: %v", err)
		}
		data = j
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New(`the file is empty; want {"stages":[{"name":"...","groups":[{"name":"..."}]}]}`)
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, jsonSyntaxError(data, err)
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, errors.New(`the file must hold a JSON object: {"stages":[...]}`)
	}
	if _, ok := obj["stages"]; !ok {
		return nil, errors.New(`stages: missing; want {"stages":[{"name":"...","groups":[{"name":"..."}]}]}`)
	}
	if err := checkShape(raw, reflect.TypeOf(fleet.RunStrategy{}), ""); err != nil {
		return nil, err
	}
	var s fleet.RunStrategy
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, err
	}
	if err := fleet.ValidateStrategy("", &s); err != nil {
		var fe *fleet.Error
		if errors.As(err, &fe) {
			return nil, errors.New(strings.TrimPrefix(fe.Message, "."))
		}
		return nil, err
	}
	return &s, nil
}

// jsonSyntaxError says where a JSON file stops parsing.
func jsonSyntaxError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := 1, 1
		for _, b := range data[:max(0, min(int(se.Offset)-1, len(data)))] {
			if b == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return fmt.Errorf("line %d, column %d: not valid JSON: %v", line, col, se)
	}
	return fmt.Errorf("not valid JSON: %v", err)
}

// checkShape compares a decoded JSON value with the Go type it is to fill
// and returns the first difference, with its path: a property the type
// does not define (in sorted key order), or a value of the wrong kind.
func checkShape(raw any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	at := path
	if at == "" {
		at = "the file"
	}
	if raw == nil {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		v, ok := raw.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want an object, got %s", at, jsonKind(raw))
		}
		known := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "" && name != "-" {
				known[strings.ToLower(name)] = f.Type
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			ft, ok := known[strings.ToLower(k)]
			if !ok {
				return fmt.Errorf("%s: unknown property; check its spelling (a stage has name, groups, afterStageWaitInSeconds and maxConcurrency; a group has name and maxConcurrency)", p)
			}
			if err := checkShape(v[k], ft, p); err != nil {
				return err
			}
		}
	case reflect.Slice:
		v, ok := raw.([]any)
		if !ok {
			return fmt.Errorf("%s: want a list, got %s", at, jsonKind(raw))
		}
		for i, e := range v {
			if err := checkShape(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.String:
		if _, ok := raw.(string); !ok {
			if strings.HasSuffix(path, "maxConcurrency") {
				return fmt.Errorf(`%s: want a string, such as "3" or "25%%", got %s`, at, jsonKind(raw))
			}
			return fmt.Errorf("%s: want a string, got %s", at, jsonKind(raw))
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		n, ok := raw.(json.Number)
		if !ok {
			return fmt.Errorf("%s: want a whole number of seconds, got %s", at, jsonKind(raw))
		}
		if _, err := strconv.ParseInt(n.String(), 10, 32); err != nil {
			return fmt.Errorf("%s: want a whole number of seconds, got %s", at, n)
		}
	}
	return nil
}

// jsonKind names the kind of a decoded JSON value.
func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "true or false"
	}
	return "null"
}
