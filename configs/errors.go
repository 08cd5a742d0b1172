package configs

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem in a configuration: where it is and what is wrong.
// Load, Parse and Validate return an errors.Join of *Error values, sorted by
// line; errors.As finds the first. An Error never contains a secret value.
type Error struct {
	File string // file name as given to Parse; "" for a Config built in code
	Line int    // 1-based; 0 when unknown
	Path string // dotted key path, e.g. "teams[1].fallback"; "" for the whole file
	Err  error  // what is wrong
}

// Error formats the problem as "FILE:LINE: path: message", leaving out
// the parts that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// source remembers where a Config came from: the file name and the line of
// every key path that the file wrote.
type source struct {
	file  string
	lines map[string]int
}

// line returns the line of path, or of its nearest written ancestor
// ("teams[1].fallback" falls back to "teams[1]", then "teams"), or 0.
func (s *source) line(path string) int {
	if s == nil {
		return 0
	}
	for {
		if l, ok := s.lines[path]; ok {
			return l
		}
		if path == "" {
			return 0
		}
		path = parentPath(path)
	}
}

// has reports whether the file wrote path.
func (s *source) has(path string) bool {
	if s == nil {
		return false
	}
	_, ok := s.lines[path]
	return ok
}

// parentPath strips the last ".key" or "[i]" from path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// errorList collects problems found in one pass.
type errorList struct {
	src  *source
	errs []*Error
}

// add records a problem at path.
func (l *errorList) add(path string, err error) {
	e := &Error{Path: path, Err: err}
	if l.src != nil {
		e.File = l.src.file
		e.Line = l.src.line(path)
	}
	l.errs = append(l.errs, e)
}

// addAt records a problem at path on a given line (a key rather than its
// value, say).
func (l *errorList) addAt(line int, path string, err error) {
	e := &Error{Line: line, Path: path, Err: err}
	if l.src != nil {
		e.File = l.src.file
	}
	l.errs = append(l.errs, e)
}

// addf records a problem at path, formatted as by fmt.Errorf (%w wraps).
func (l *errorList) addf(path, format string, args ...any) {
	l.add(path, fmt.Errorf(format, args...))
}

// err returns the problems sorted by line, then path, as one joined error,
// or nil when there are none.
func (l *errorList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(l.errs, func(a, b *Error) int {
		return cmp.Compare(a.Line, b.Line)
	})
	errs := make([]error, len(l.errs))
	for i, e := range l.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}
