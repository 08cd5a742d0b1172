package main

import (
	"bytes"
	"io"
	"strings"
	"sync"

	"github.com/intakehq/intake/channels/display"
)

// screen is the terminal of a command that prints what the server holds
// (ticket subjects, names, error texts): every line written to it passes
// through display.Neutralize, so customer text can neither send the
// terminal escape sequences (move the cursor, recolour, retitle the
// window) nor reorder the line it is in. A line is held until its "\n";
// Flush writes what is left. It is safe for concurrent use.
type screen struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
	err error
}

// Write takes p and writes out every line it completes. The error is the
// first the underlying writer returned.
func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	if i := bytes.LastIndexByte(s.buf, '\n'); i >= 0 {
		s.emit(i + 1)
	}
	return len(p), s.err
}

// Flush writes an unfinished last line.
func (s *screen) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emit(len(s.buf))
	return s.err
}

// emit writes the first n bytes held. Neutralizing whole lines gives what
// neutralizing all output at once would (see display.Neutralize).
func (s *screen) emit(n int) {
	if n == 0 {
		return
	}
	if s.err == nil {
		_, s.err = io.WriteString(s.w, display.Neutralize(string(s.buf[:n])))
	}
	s.buf = s.buf[:copy(s.buf, s.buf[n:])]
}

// onScreen runs cmd with stdout and stderr behind screens and flushes them
// when it returns.
func onScreen(stdout, stderr io.Writer, cmd func(stdout, stderr io.Writer) int) int {
	out, errs := &screen{w: stdout}, &screen{w: stderr}
	code := cmd(out, errs)
	_ = out.Flush()
	_ = errs.Flush()
	return code
}

// oneLine is s with each run of white space (newlines and tabs among it)
// made one space, for a field of a line or a table cell: text from
// outside cannot start a line of its own or a column.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
