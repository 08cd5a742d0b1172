package configs

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

var (
	configType      = reflect.TypeFor[Config]()
	routesType      = reflect.TypeFor[Routes]()
	timeType        = reflect.TypeFor[time.Time]()
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
)

// maxWalk bounds the nodes one walk visits, aliases included, so a small
// file of nested aliases cannot make loading take forever.
const maxWalk = 1 << 20

// walker checks a node tree against the Go type it will decode into,
// before decoding: unknown and repeated keys, values of the wrong kind. On
// the way it records the line of every key path and expands ${VAR} in
// string values.
//
// The walk does not stop at a problem: it records it, marks the path as
// reported and takes the bad value out of the tree (nulls it, or drops the
// pair), so the rest of the file still decodes and is validated, and every
// problem is reported at once.
type walker struct {
	list     errorList
	lines    map[string]int
	getenv   func(string) (string, bool)
	expanded map[*yaml.Node]bool // each node once, even when aliased
	steps    int
	// reported are the paths with a shape problem; validation problems at
	// or under them are consequences, not news, and are left out.
	reported map[string]bool
	drops    []pair // pairs to remove from their mapping before decoding
}

// bad records a problem at path and nulls n, so decoding skips it.
func (w *walker) bad(n *yaml.Node, path string, err error) {
	w.list.add(path, err)
	w.reported[path] = true
	nullNode(n)
}

// nullNode turns n into a YAML null in place, keeping its position.
func nullNode(n *yaml.Node) {
	*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
}

// drop records a problem with a pair and removes the pair before decoding.
func (w *walker) drop(p pair, line int, path string, err error) {
	w.list.addAt(line, path, err)
	w.reported[path] = true
	w.drops = append(w.drops, p)
}

// prune removes the dropped pairs from their mappings.
func (w *walker) prune() {
	for _, d := range w.drops {
		c := d.in.Content
		for i := 0; i+1 < len(c); i += 2 {
			if c[i] == d.key {
				d.in.Content = append(c[:i:i], c[i+2:]...)
				break
			}
		}
	}
}

// walk checks n against t at path.
func (w *walker) walk(n *yaml.Node, t reflect.Type, path string) {
	if w.steps++; w.steps > maxWalk {
		if w.steps == maxWalk+1 {
			w.list.addf(path, "document too large: over %d nodes once aliases are expanded", maxWalk)
		}
		return
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 1 {
			w.walk(n.Content[0], t, path)
		}
		return
	}
	if _, ok := w.lines[path]; !ok && path != "" {
		w.lines[path] = n.Line
	}
	n = resolveAlias(n)
	if t.Kind() == reflect.Pointer {
		if isNull(n) {
			return
		}
		t = t.Elem()
	}
	switch {
	case t == routesType:
		if n.Kind == yaml.SequenceNode {
			w.walkSlice(n, reflect.TypeFor[[]Rule](), path)
		} else {
			w.walkStruct(n, t, path)
		}
	case t == timeType || reflect.PointerTo(t).Implements(unmarshalerType):
		w.leaf(n, t, path)
	case t.Kind() == reflect.Struct:
		w.walkStruct(n, t, path)
	case t.Kind() == reflect.Slice:
		w.walkSlice(n, t, path)
	default:
		w.leaf(n, t, path)
	}
}

// lineOf makes sure an error at path has a line: the root has no key, so
// it takes the line of its node.
func (w *walker) lineOf(path string, n *yaml.Node) {
	if _, ok := w.lines[path]; !ok {
		w.lines[path] = n.Line
	}
}

// pair is one key and value of the mapping in; merged pairs came through
// "<<".
type pair struct {
	in, key, value *yaml.Node
	merged         bool
}

// walkStruct checks a mapping against the yaml fields of struct type t.
func (w *walker) walkStruct(n *yaml.Node, t reflect.Type, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		w.lineOf(path, n)
		w.bad(n, path, fmt.Errorf("want a mapping of keys (%s), got %s", strings.Join(fieldNames(t), ", "), describe(n)))
		return
	}
	fields := yamlFields(t)
	seen := map[string]int{}
	for _, p := range w.pairs(n, path) {
		if p.key.Kind != yaml.ScalarNode {
			w.drop(p, p.key.Line, path, fmt.Errorf("a key must be a plain name, got %s", describe(p.key)))
			continue
		}
		name := p.key.Value
		kp := joinPath(path, name)
		if first, dup := seen[name]; dup {
			if !p.merged {
				w.drop(p, p.key.Line, kp, fmt.Errorf("key written twice (first at line %d)", first))
			}
			continue
		}
		seen[name] = p.key.Line
		if _, ok := w.lines[kp]; !ok {
			w.lines[kp] = p.key.Line
		}
		ft, ok := fields[name]
		if !ok {
			known := fieldNames(t)
			w.list.add(kp, unknownKey(name, known))
			w.reported[kp] = true
			if best := suggest(name, known); best != "" {
				// The key was most likely meant as best: a "required"
				// for best would only repeat this.
				w.reported[joinPath(path, best)] = true
			}
			continue
		}
		w.walk(p.value, ft, kp)
	}
}

// pairs lists the pairs of mapping n, the explicit ones first, then those
// merged in with "<<" (which explicit keys override).
func (w *walker) pairs(n *yaml.Node, path string) []pair {
	var explicit, merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!merge" {
			explicit = append(explicit, pair{in: n, key: k, value: v})
			continue
		}
		sources := []*yaml.Node{v}
		if v = resolveAlias(v); v.Kind == yaml.SequenceNode {
			sources = v.Content
		}
		for _, s := range sources {
			if w.steps++; w.steps > maxWalk {
				return explicit
			}
			if s = resolveAlias(s); s.Kind != yaml.MappingNode {
				w.drop(pair{in: n, key: k}, k.Line, path, fmt.Errorf("<< merges a mapping or a list of mappings, got %s", describe(s)))
				break
			}
			for _, p := range w.pairs(s, path) {
				p.merged = true
				merged = append(merged, p)
			}
		}
	}
	return append(explicit, merged...)
}

// walkSlice checks a sequence whose items are of t's element type.
func (w *walker) walkSlice(n *yaml.Node, t reflect.Type, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		hint := ""
		if n.Kind == yaml.ScalarNode {
			hint = fmt.Sprintf(" (write [%s] for a list of one)", n.Value)
		}
		w.bad(n, path, fmt.Errorf("want a list, got %s%s", describe(n), hint))
		return
	}
	for i, item := range n.Content {
		w.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
	}
}

// leaf checks a single value by decoding it on its own.
func (w *walker) leaf(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.ScalarNode && t.Kind() != reflect.Interface {
		w.bad(n, path, fmt.Errorf("want %s, got %s", wantText(t), describe(n)))
		return
	}
	if !w.expand(n, t, path) {
		return
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		if reflect.PointerTo(t).Implements(unmarshalerType) {
			w.bad(n, path, err) // our own message
			return
		}
		w.bad(n, path, fmt.Errorf("want %s, got %q", wantText(t), n.Value))
	}
}

// expand replaces ${VAR} in a string scalar, once per node. It reports
// false, after recording the error, when a variable is not set.
func (w *walker) expand(n *yaml.Node, t reflect.Type, path string) bool {
	if w.expanded[n] || n.ShortTag() != "!!str" || !strings.Contains(n.Value, "$") {
		return true
	}
	w.expanded[n] = true
	v, err := expandEnv(n.Value, w.getenv)
	if err != nil {
		w.bad(n, path, err)
		return false
	}
	n.Value = v
	if t.Kind() != reflect.String && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		n.Tag = "" // a plain ${VAR} may stand for a number or a boolean
	}
	return true
}

// expandEnv replaces each ${NAME} in s by the variable's value; "$${" is a
// literal "${". A "$" not followed by "{" is kept as written.
func expandEnv(s string, getenv func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			b.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated ${ (write $${ for a literal ${)")
			}
			name := s[i+2 : i+2+end]
			if !validEnvName(name) {
				// The text may be part of a secret: do not echo it.
				return "", fmt.Errorf("bad ${...} reference: a variable name is letters, digits and _, not starting with a digit (write $${ for a literal ${)")
			}
			v, ok := getenv(name)
			if !ok {
				return "", fmt.Errorf("environment variable %s is not set", name)
			}
			b.WriteString(v)
			i += 2 + end + 1
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String(), nil
}

func validEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, c := range []byte(s) {
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// resolveAlias follows alias nodes to what they name.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 64; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node is, for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n = resolveAlias(n); n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

// kindName names the kind of a node in one word.
func kindName(n *yaml.Node) string {
	switch resolveAlias(n).Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

// wantText says in words what a value of type t looks like.
func wantText(t reflect.Type) string {
	switch {
	case t == timeType:
		return "a timestamp such as 2026-01-05T18:00:00-05:00"
	case t == reflect.TypeFor[Duration]():
		return `a duration such as "30m"`
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a single value"
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// unknownKey explains a key that is not in known, suggesting a near miss.
func unknownKey(name string, known []string) error {
	if best := suggest(name, known); best != "" {
		return fmt.Errorf("unknown key (did you mean %q?)", best)
	}
	return fmt.Errorf("unknown key (known keys: %s)", strings.Join(known, ", "))
}

// suggest returns the known key nearest to name, or "" when none is near.
func suggest(name string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(name), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between short strings.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// fieldCache holds yamlFields results per struct type.
var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// yamlFields maps the yaml key of each exported field of t to its type.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = f.Type
	}
	fieldCache.Store(t, m)
	return m
}

// fieldNames lists the yaml keys of t in declaration order.
func fieldNames(t reflect.Type) []string {
	fields := yamlFields(t)
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if _, ok := fields[name]; ok && f.IsExported() && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}
