package email

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// Large hostile bodies parse quickly and stay within the text cap.
func TestLargeInputsBounded(t *testing.T) {
	hdr := "From: a@b.example\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
	for name, body := range map[string]string{
		"nested divs":   strings.Repeat("<div><blockquote><a href='https://x'>", 100000),
		"one long line": strings.Repeat("On x wrote ", 300000),
		"entities":      strings.Repeat("&amp;&#x1F600;&bogus;", 200000),
		"quotes":        strings.Repeat("> q\n", 500000),
	} {
		start := time.Now()
		p, err := Parse([]byte(hdr+body), ParseOptions{})
		require.NoError(t, err, name)
		require.Less(t, time.Since(start), 5*time.Second, name)
		require.LessOrEqual(t, len(p.Text), DefaultMaxText, name)
		require.True(t, utf8.ValidString(p.Text), name)
	}
}

// A message built to exhaust the parser (ten thousand parts, a hundred
// levels of nesting) is cut cleanly at the part and depth limits, keeps
// what it read, and costs memory in proportion to its size, not more.
func TestHostileStructureBounded(t *testing.T) {
	many := func() []byte {
		var b strings.Builder
		b.WriteString("From: a@b.example\r\nSubject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n")
		for i := 0; i < 10000; i++ {
			fmt.Fprintf(&b, "--XX\r\nContent-Type: application/octet-stream; name=\"f%d.bin\"\r\nContent-Disposition: attachment; filename=\"f%d.bin\"\r\n\r\nAAAA\r\n", i, i)
		}
		b.WriteString("--XX--\r\n")
		return []byte(b.String())
	}()
	deep := func() []byte {
		var b strings.Builder
		b.WriteString("From: a@b.example\r\nSubject: deep\r\nMIME-Version: 1.0\r\n")
		for i := 0; i < 100; i++ {
			fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=B%d\r\n\r\n--B%d\r\n", i, i)
		}
		b.WriteString("Content-Type: text/plain\r\n\r\ndeepest text\r\n")
		for i := 99; i >= 0; i-- {
			fmt.Fprintf(&b, "--B%d--\r\n", i)
		}
		return []byte(b.String())
	}()
	for name, raw := range map[string][]byte{"10000 parts": many, "100 levels": deep} {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			p, err := Parse(raw, ParseOptions{})
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			require.NoError(t, err)
			require.True(t, p.Truncated, "limits hit are reported")
			require.LessOrEqual(t, len(p.Attachments), DefaultMaxAttachments)
			require.Less(t, elapsed, 5*time.Second)
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d bytes in, %d attachments listed (+%d omitted), %d bytes allocated, %s", len(raw), len(p.Attachments), p.AttachmentsOmitted, allocated, elapsed)
			require.Less(t, allocated, uint64(64*len(raw)+(8<<20)), "memory stays in proportion to the input")
		})
	}
}
