package email

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
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
		assert.Less(t, time.Since(start), 5*time.Second, name)
		assert.LessOrEqual(t, len(p.Text), DefaultMaxText, name)
		assert.True(t, utf8.ValidString(p.Text), name)
	}
}
