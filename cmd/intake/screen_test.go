package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/intakehq/intake/channels/display"
)

// TestScreenNeutralizesAcrossWrites writes byte by byte, splitting runes,
// CRLFs and escape sequences between writes: the terminal gets what
// neutralizing the whole output at once gives, the last line on Flush.
func TestScreenNeutralizesAcrossWrites(t *testing.T) {
	const out = "T-1\tInvoice \u202egpj.exe\r\n\x1b[2J\xff🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F\nlast \u2067line"
	var term bytes.Buffer
	s := &screen{w: &term}
	for i := range len(out) {
		n, err := s.Write([]byte{out[i]})
		require.NoError(t, err)
		require.Equal(t, 1, n)
	}
	require.Equal(t, display.Neutralize(out[:bytes.LastIndexByte([]byte(out), '\n')+1]), term.String(), "whole lines so far")
	require.NoError(t, s.Flush())
	require.Equal(t, display.Neutralize(out), term.String())
	require.Contains(t, term.String(), "Invoice ⟨U+202E⟩gpj.exe\n␛[2J\uFFFD🏴")
}
