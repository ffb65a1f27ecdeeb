package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"sigs.k8s.io/yaml"
)

// emit writes v as JSON or YAML when -o asks for it, else as the table
// that render writes.
func (a *app) emit(w io.Writer, v any, render func(io.Writer) error) error {
	switch a.output {
	case "json":
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Errorf("error encoding JSON: %w", err)
		}
		_, err = fmt.Fprintf(w, "%s\n", data)
		return err
	case "yaml":
		data, err := yaml.Marshal(v)
		if err != nil {
			return fmt.Errorf("error encoding YAML: %w", err)
		}
		_, err = w.Write(data)
		return err
	}
	return render(w)
}

// table lays out rows in aligned columns.
type table struct {
	rows [][]string
}

func newTable(header ...string) *table {
	return &table{rows: [][]string{header}}
}

func (t *table) row(cells ...string) { t.rows = append(t.rows, cells) }

// write writes the table with two spaces between columns and no
// trailing blanks.
func (t *table) write(w io.Writer) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 8, 2, ' ', 0)
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if line == "" {
			continue
		}
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// fields writes "label:  value" lines, aligned.
func fields(w io.Writer, pairs ...[2]string) error {
	t := &table{}
	for _, p := range pairs {
		label := p[0]
		if label != "" {
			label += ":"
		}
		t.row(label, p[1])
	}
	return t.write(w)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
