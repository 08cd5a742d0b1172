package main

import (
	"io"
	"sync"
)

// syncWriter serialises writes from the server's goroutines to a buffer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// String returns what was written so far, when w is a *bytes.Buffer.
func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.w.(interface{ String() string }); ok {
		return b.String()
	}
	return ""
}
