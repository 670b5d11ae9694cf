// Command render renders a Helm chart offline for the tests, the way `helm template` does:
// Go's text/template with sprig v3 (the function library Helm uses) and Helm's own
// functions (include, tpl, toYaml, fromYaml, toJson, required, fail, lookup). No Helm binary
// can be installed on the test machines (Debian does not package it and the npm packages
// download it from GitHub at install time); this is Helm's engine minus its release
// machinery, built from Debian's Go packages.
//
// Usage: render CHART_DIR [-f values.yaml]... [--release NAME] [--namespace NS]
// Prints every rendered manifest of templates/ (sorted by file name, partials "_*" and
// NOTES.txt excluded) as one YAML stream, each document headed "# Source: <chart>/<file>".
// Exit 1 with the template error on stderr when rendering fails (required, fail, syntax).
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

func die(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "render: "+format+"\n", a...)
	os.Exit(1)
}

func readYAML(path string) map[string]interface{} {
	data, err := os.ReadFile(path)
	if err != nil {
		die("%v", err)
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &out); err != nil {
		die("%s: %v", path, err)
	}
	if out == nil {
		out = map[string]interface{}{}
	}
	return out
}

// merge overlays src on dst as Helm coalesces values: maps merge key by key, anything else
// (lists included) replaces; a null removes the key.
func merge(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := dst[k].(map[string]interface{}); ok {
				dst[k] = merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

func toYAML(v interface{}) string {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func main() {
	if len(os.Args) < 2 {
		die("usage: render CHART_DIR [-f values.yaml]... [--release NAME] [--namespace NS]")
	}
	chartDir := os.Args[1]
	release, namespace := "release", "default"
	values := readYAML(filepath.Join(chartDir, "values.yaml"))
	for i := 2; i < len(os.Args); i++ {
		switch os.Args[i] {
		case "-f":
			i++
			values = merge(values, readYAML(os.Args[i]))
		case "--release":
			i++
			release = os.Args[i]
		case "--namespace":
			i++
			namespace = os.Args[i]
		default:
			die("unknown argument %q", os.Args[i])
		}
	}
	// helm install/template refuse other release names (chartutil.ValidateReleaseName).
	validName := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	if len(release) > 53 || !validName.MatchString(release) {
		die("invalid release name %q: at most 53 characters of [a-z0-9-.], starting and ending with a letter or digit", release)
	}
	chart := readYAML(filepath.Join(chartDir, "Chart.yaml"))
	chartObj := map[string]interface{}{}
	for k, v := range chart {
		chartObj[strings.ToUpper(k[:1])+k[1:]] = v
	}

	files, _ := filepath.Glob(filepath.Join(chartDir, "templates", "*"))
	sort.Strings(files)
	root := template.New("chart")
	funcs := sprig.TxtFuncMap()
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, fmt.Errorf("%s", msg)
		}
		return v, nil
	}
	funcs["fail"] = func(msg string) (string, error) { return "", fmt.Errorf("%s", msg) }
	funcs["lookup"] = func(...interface{}) map[string]interface{} { return map[string]interface{}{} }
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var b bytes.Buffer
		err := root.ExecuteTemplate(&b, name, data)
		return b.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var b bytes.Buffer
		err = t.Execute(&b, data)
		return b.String(), err
	}
	root.Funcs(funcs).Option("missingkey=zero")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			die("%v", err)
		}
		if _, err := root.New(filepath.Join(filepath.Base(chartDir), "templates", filepath.Base(f))).Parse(string(data)); err != nil {
			die("%v", err)
		}
	}
	out := &bytes.Buffer{}
	for _, f := range files {
		base := filepath.Base(f)
		if strings.HasPrefix(base, "_") || base == "NOTES.txt" {
			continue
		}
		name := filepath.Join(filepath.Base(chartDir), "templates", base)
		top := map[string]interface{}{
			"Values":       values,
			"Chart":        chartObj,
			"Release":      map[string]interface{}{"Name": release, "Namespace": namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1},
			"Template":     map[string]interface{}{"Name": name, "BasePath": filepath.Join(filepath.Base(chartDir), "templates")},
			"Capabilities": map[string]interface{}{"KubeVersion": map[string]interface{}{"Version": "v1.29.0", "Major": "1", "Minor": "29"}},
		}
		var b bytes.Buffer
		if err := root.ExecuteTemplate(&b, name, top); err != nil {
			die("%v", err)
		}
		text := strings.TrimSpace(b.String())
		if text == "" {
			continue
		}
		fmt.Fprintf(out, "---\n# Source: %s\n%s\n", name, text)
	}
	os.Stdout.Write(out.Bytes())
}
