package emailtest

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"sync"
)

// trackingListener remembers the connections it accepted so Stop can close
// every one of them, and applies WithoutIDLE's rewriting.
type trackingListener struct {
	net.Listener
	noIDLE bool

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, l: l}
	l.mu.Lock()
	l.conns[tc] = struct{}{}
	l.mu.Unlock()
	if l.noIDLE {
		return &noIDLEConn{tc}, nil
	}
	return tc, nil
}

func (l *trackingListener) closeConns() {
	l.mu.Lock()
	conns := make([]net.Conn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

type trackedConn struct {
	net.Conn
	l *trackingListener
}

func (c *trackedConn) Close() error {
	c.l.mu.Lock()
	delete(c.l.conns, c)
	c.l.mu.Unlock()
	err := c.Conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// noIDLEConn hides IDLE from capability lists and turns an IDLE command into
// an unknown one. imapserver flushes after every response line, so a
// capability list always arrives in one Write.
type noIDLEConn struct{ net.Conn }

func (c *noIDLEConn) Write(p []byte) (int, error) {
	if !bytes.Contains(p, []byte("CAPABILITY")) {
		return c.Conn.Write(p)
	}
	q := bytes.ReplaceAll(p, []byte(" IDLE "), []byte(" "))
	q = bytes.ReplaceAll(q, []byte(" IDLE]"), []byte("]"))
	q = bytes.ReplaceAll(q, []byte(" IDLE\r\n"), []byte("\r\n"))
	if _, err := c.Conn.Write(q); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *noIDLEConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	for start := 0; start < n; {
		end := bytes.IndexByte(p[start:n], '\n')
		if end < 0 {
			break
		}
		line := p[start : start+end+1]
		if tag, rest, ok := bytes.Cut(line, []byte(" ")); ok && len(tag) > 0 && strings.EqualFold(string(rest), "IDLE\r\n") {
			copy(rest, "XIDL") // same length; imapserver answers BAD Unknown command
		}
		start += end + 1
	}
	return n, err
}
