package display

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestNeutralize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// Text is kept as it is, whatever the script.
		{"empty", "", ""},
		{"ascii", "Printer offline\tsince 9:00\n", "Printer offline\tsince 9:00\n"},
		{"arabic", "الطابعة لا تعمل منذ الصباح", "الطابعة لا تعمل منذ الصباح"},
		{"hebrew with digits", "המדפסת לא עובדת 3 ימים", "המדפסת לא עובדת 3 ימים"},
		{"cjk", "打印机坏了。プリンターが壊れた。", "打印机坏了。プリンターが壊れた。"},
		{"emoji zwj and skin tone", "👩🏽‍💻 👨‍👩‍👧 ❤️ 🇩🇪", "👩🏽‍💻 👨‍👩‍👧 ❤️ 🇩🇪"},
		{"subdivision flag", "Go 🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F!", "Go 🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F!"},
		{"combining marks", "e\u0301 n\u0303 Z\u0351\u0352", "e\u0301 n\u0303 Z\u0351\u0352"},
		{"persian zwnj", "می\u200cخواهم", "می\u200cخواهم"},
		{"thai zwsp", "เครื่อง\u200bพิมพ์", "เครื่อง\u200bพิมพ์"},
		{"replacement char", "a\uFFFDb", "a\uFFFDb"},

		// Bidi controls and marks.
		{"rlo reverses a file name", "Invoice \u202Egpj.exe", "Invoice ⟨U+202E⟩gpj.exe"},
		{"embeddings and pdf", "\u202Aa\u202Bb\u202C", "⟨U+202A⟩a⟨U+202B⟩b⟨U+202C⟩"},
		{"lro", "\u202Dx", "⟨U+202D⟩x"},
		{"isolates", "\u2066a\u2067b\u2068c\u2069", "⟨U+2066⟩a⟨U+2067⟩b⟨U+2068⟩c⟨U+2069⟩"},
		{"marks", "1\u200e2\u200f3\u061c4", "1⟨U+200E⟩2⟨U+200F⟩3⟨U+061C⟩4"},
		{"override inside hebrew", "שלום \u202Eabc\u202C עולם", "שלום ⟨U+202E⟩abc⟨U+202C⟩ עולם"},
		{"override inside arabic", "مرحبا\u2067 $100 \u2069", "مرحبا⟨U+2067⟩ $100 ⟨U+2069⟩"},

		// Control characters and terminal escapes.
		{"ansi color", "\x1b[31mURGENT\x1b[0m", "␛[31mURGENT␛[0m"},
		{"ansi title", "\x1b]0;pwned\x07", "␛]0;pwned␇"},
		{"c1 csi", "\u009b2J", "⟨U+009B⟩2J"},
		{"c1 nel", "a\u0085b", "a⟨U+0085⟩b"},
		{"nul bel bs del", "a\x00b\x07c\x08d\x7f", "a␀b␇c␈d␡"},
		{"crlf is a line end", "one\r\ntwo\r\n", "one\ntwo\n"},
		{"lone cr", "paid\roverdue", "paid␍overdue"},
		{"cr before crlf", "a\r\r\nb", "a␍\nb"},
		{"trailing cr", "a\r", "a␍"},
		{"form feed and vt", "a\fb\vc", "a␌b␋c"},

		// Other characters that change how the text around them reads.
		{"line and paragraph separators", "a\u2028b\u2029c", "a⟨U+2028⟩b⟨U+2029⟩c"},
		{"deprecated format controls", "(\u206a)\u206f1", "(⟨U+206A⟩)⟨U+206F⟩1"},
		{"interlinear annotation", "\ufff9base\ufffahidden\ufffb", "⟨U+FFF9⟩base⟨U+FFFA⟩hidden⟨U+FFFB⟩"},
		{"smuggled tags", "hi\U000E0069\U000E0067\U000E006E", "hi⟨U+E0069⟩⟨U+E0067⟩⟨U+E006E⟩"},
		{"language tag", "\U000E0001", "⟨U+E0001⟩"},
		{"flag without cancel tag", "🏴\U000E0067\U000E0062", "🏴⟨U+E0067⟩⟨U+E0062⟩"},
		{"flag with too many tags", "🏴\U000E0061\U000E0061\U000E0061\U000E0061\U000E0061\U000E0061\U000E0061\U000E007F",
			"🏴⟨U+E0061⟩⟨U+E0061⟩⟨U+E0061⟩⟨U+E0061⟩⟨U+E0061⟩⟨U+E0061⟩⟨U+E0061⟩⟨U+E007F⟩"},
		{"flag with a space tag", "🏴\U000E0020\U000E0061\U000E007F", "🏴⟨U+E0020⟩⟨U+E0061⟩⟨U+E007F⟩"},

		// Bytes that are not UTF-8.
		{"invalid run", "ok\xff\xfe!", "ok\uFFFD!"},
		{"truncated rune", "a\xe2\x80", "a\uFFFD"},
		{"encoded surrogate", "\xed\xa0\x80x", "\uFFFDx"},
		{"invalid then override", "\xff\u202e", "\uFFFD⟨U+202E⟩"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Neutralize(tt.in)
			require.Equal(t, tt.want, got, "Neutralize(%q)", tt.in)
			require.Equal(t, got, Neutralize(got), "Neutralize is idempotent")
			require.True(t, utf8.ValidString(got))
		})
	}
}

// TestNeutralizeMarksEveryControl walks every C0, DEL and C1 control and
// every bidi control: each comes out as something else, and visible.
func TestNeutralizeMarksEveryControl(t *testing.T) {
	var rs []rune
	for r := rune(0); r < 0xa0; r++ {
		if unicode.IsControl(r) && r != '\t' && r != '\n' {
			rs = append(rs, r)
		}
	}
	rs = append(rs, 0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069)
	for _, r := range rs {
		got := Neutralize("x" + string(r) + "y")
		require.NotContains(t, got, string(r), "U+%04X", r)
		require.Greater(t, utf8.RuneCountInString(got), 2, "U+%04X left no visible trace", r)
		require.Equal(t, got, Neutralize(got))
	}
}

func TestNeutralizeSafeTextDoesNotAllocate(t *testing.T) {
	s := strings.Repeat("Printer offline since 9:00 — الطابعة 👨‍👩‍👧\n", 50)
	var got string
	allocs := testing.AllocsPerRun(100, func() { got = Neutralize(s) })
	require.Zero(t, allocs)
	require.Equal(t, s, got)
}

// flagSequence is a subdivision flag, the one place tag characters may
// stay (written here independently of flagTags).
var flagSequence = regexp.MustCompile("\U0001F3F4[\U000E0030-\U000E0039\U000E0061-\U000E007A]{2,6}\U000E007F")

// unsafeRune reports, independently of the code under test, the runes
// Neutralize promises never to leave in its result.
func unsafeRune(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return r != '\t' && r != '\n'
	case unicode.In(r, unicode.Bidi_Control):
		return true // U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069
	case r == '\u2028', r == '\u2029', r >= 0x206a && r <= 0x206f, r >= 0xfff9 && r <= 0xfffb, r >= 0xe0000 && r <= 0xe007f:
		return true
	}
	return false
}

// checkNeutral fails t if s has a rune Neutralize promises to replace.
func checkNeutral(t *testing.T, s string) {
	t.Helper()
	require.True(t, utf8.ValidString(s), "%q is not UTF-8", s)
	for _, r := range flagSequence.ReplaceAllString(s, "") {
		require.False(t, unsafeRune(r), "U+%04X left in %q", r, s)
	}
}

// FuzzNeutralize checks Neutralize's promises on any input: valid UTF-8
// out, nothing unsafe left, idempotent, bounded growth, safe text
// untouched, and lines neutralized one by one come out the same as all at
// once.
func FuzzNeutralize(f *testing.F) {
	f.Add("Invoice \u202Egpj.exe", "\x1b[31mred")
	f.Add("שלום \u2067abc\u2069", "ok\xff\xfe\r\n")
	f.Add("🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", "hi\U000E0069\u0085")
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, s := range []string{a, b, a + "\n" + b} {
			got := Neutralize(s)
			checkNeutral(t, got)
			require.Equal(t, got, Neutralize(got), "not idempotent on %q", s)
			require.LessOrEqual(t, len(got), maxGrowth*len(s), "grew %q to %q", s, got)

			safe := utf8.ValidString(s) && !strings.Contains(s, "\r")
			for _, r := range flagSequence.ReplaceAllString(s, "") {
				safe = safe && !unsafeRune(r)
			}
			if safe {
				require.Equal(t, s, got, "changed safe text")
			}
		}
		require.Equal(t, Neutralize(a+"\n")+Neutralize(b), Neutralize(a+"\n"+b), "split at a line end")
	})
}
