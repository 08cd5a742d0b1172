package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads the configuration file at path, expanding ${VAR} references
// from the process environment, applies defaults and validates it. The
// error, if any, lists every problem found, one "FILE:LINE: path: message"
// per line.
func Load(path string) (*Config, error) {
	return LoadFile(path, os.LookupEnv)
}

// LoadFile is Load with the environment lookup given by the caller (tests
// pass a map's lookup). A nil getenv means os.LookupEnv.
func LoadFile(path string, getenv func(string) (string, bool)) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(data, path, getenv)
}

// Parse decodes, defaults and validates a configuration held in memory;
// name is the file name errors are reported against. A nil getenv means
// os.LookupEnv. An empty document is valid and gives the same setup as
// Default, with the defaults of a loaded file.
func Parse(data []byte, name string, getenv func(string) (string, bool)) (*Config, error) {
	return ParseWith(data, name, getenv, Overrides{})
}

// ParseWith is Parse with the settings given outside the file applied
// over it and checked with it.
func ParseWith(data []byte, name string, getenv func(string) (string, bool), o Overrides) (*Config, error) {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	if err := checkText(name, data); err != nil {
		return nil, err
	}
	c, shape, err := decode(data, name, getenv)
	if err != nil {
		return nil, err
	}
	c.applyDefaults()
	c.apply(o)
	errs := c.validate()
	// Problems of shape come first in the same list; what validation
	// finds at a path already reported is a consequence of it.
	for _, e := range errs.errs {
		if !shape.covers(e.Path) {
			shape.list.errs = append(shape.list.errs, e)
		}
	}
	if err := shape.list.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// decode parses data into a node tree, checks its shape against Config
// (unknown keys, repeated keys, kinds of values), expands ${VAR} in string
// values, and decodes what is left once the bad values are taken out: the
// walker returned holds the problems of shape. The error is for a file
// that cannot be read as YAML at all.
func decode(data []byte, name string, getenv func(string) (string, bool)) (*Config, *walker, error) {
	src := &source{file: name, lines: map[string]int{}}
	w := &walker{
		list:     errorList{src: src},
		lines:    src.lines,
		getenv:   getenv,
		expanded: map[*yaml.Node]bool{},
		reported: map[string]bool{},
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &Config{src: src}, w, nil // empty file
		}
		return nil, nil, syntaxError(name, data, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, nil, &Error{File: name, Line: extra.Line, Err: errors.New("a second YAML document: a config file holds one")}
	case !errors.Is(err, io.EOF):
		return nil, nil, syntaxError(name, data, err)
	}

	w.walk(&doc, configType, "")
	if w.steps > maxWalk {
		return nil, nil, w.list.err()
	}
	w.prune()
	c := &Config{}
	if err := doc.Decode(c); err != nil {
		// The walk took out every value that decoding would refuse, so
		// this is a bug here rather than in the file; still say where.
		return nil, nil, errors.Join(w.list.err(), &Error{File: name, Err: fmt.Errorf("decode: %w", err)})
	}
	c.src = src
	return c, w, nil
}

// covers reports whether path, or a key above it, had a shape problem.
func (w *walker) covers(path string) bool {
	for {
		if w.reported[path] {
			return true
		}
		if path == "" {
			return false
		}
		path = parentPath(path)
	}
}

// yamlLineRE picks the line out of a yaml.v3 syntax error.
var yamlLineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 parse error into an *Error with its line.
// yaml.v3 gives the line where the enclosing construct began; for the
// commonest mistake, a tab in the indentation, the tab's own line is
// reported instead.
func syntaxError(name string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if strings.Contains(msg, "tab character") {
		if l := firstTabIndent(data); l > 0 {
			line = l
		}
	}
	if strings.Contains(msg, "did not find expected ','") && bytes.Contains(data, []byte("${")) {
		msg += ` (inside [...] or {...}, write a ${VAR} value in quotes: "${VAR}")`
	}
	return &Error{File: name, Line: line, Err: &wrapped{msg: "YAML syntax error: " + msg, err: err}}
}

// firstTabIndent returns the 1-based number of the first line indented
// with a tab, or 0.
func firstTabIndent(data []byte) int {
	for i, line := range strings.Split(string(data), "\n") {
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		if strings.Contains(indent, "\t") {
			return i + 1
		}
	}
	return 0
}

// wrapped is an error with its own message that still unwraps to the
// error it came from.
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }

// UnmarshalYAML reads the routing section in either of its forms: a list of
// rules, or a mapping with business_hours, default_team and rules.
func (r *Routes) UnmarshalYAML(n *yaml.Node) error {
	if resolveAlias(n).Kind == yaml.SequenceNode {
		var rules []Rule
		if err := n.Decode(&rules); err != nil {
			return err
		}
		*r = Routes{Rules: rules, list: true}
		return nil
	}
	type plain Routes // without this method
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*r = Routes(p)
	return nil
}

// rulePath is the key path of rule i as the file wrote it.
func (r *Routes) rulePath(i int) string {
	if r.list {
		return fmt.Sprintf("routing[%d]", i)
	}
	return fmt.Sprintf("routing.rules[%d]", i)
}
