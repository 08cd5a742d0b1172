// Package displaytest has customer text made to abuse the places it is
// shown, and the check that a place showed it safely, for the tests of
// every place that shows customer text to people.
package displaytest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Hostile is one line of customer text with each kind of character that
// acts on the text around it: a right-to-left override that shows
// "gpj.exe" as "exe.jpg", an ANSI colour, an isolate, a bidi mark, BEL, a
// C1 control and a hidden tag.
const Hostile = "Invoice \u202Egpj.exe\u202C \x1b[31mpaid\x1b[0m \u2067$100\u2069\u200f\a\u0085\U000E0041"

// Shown is Hostile as display.Neutralize shows it.
const Shown = "Invoice ⟨U+202E⟩gpj.exe⟨U+202C⟩ ␛[31mpaid␛[0m ⟨U+2067⟩$100⟨U+2069⟩⟨U+200F⟩␇⟨U+0085⟩⟨U+E0041⟩"

// Runes are the characters of Hostile that must never reach a person raw.
var Runes = []string{"\u202E", "\u202C", "\x1b", "\u2067", "\u2069", "\u200f", "\a", "\u0085", "\U000E0041"}

// RequireNeutral fails t if text, shown to people as what, holds any of
// Runes.
func RequireNeutral(t testing.TB, what, text string) {
	t.Helper()
	for _, r := range Runes {
		require.NotContains(t, text, r, "%s has U+%04X raw: %q", what, []rune(r)[0], text)
	}
}
