package slack

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/intakehq/intake/channels/display"
	"github.com/intakehq/intake/channels/display/displaytest"
)

var cardNow = time.Date(2025, 3, 4, 15, 0, 0, 0, time.UTC)

func sampleCard() Card {
	due := cardNow.Add(30 * time.Minute)
	return Card{
		TicketID: "T-12", Subject: "Printer on fire", Customer: "Ann Lee", Org: "Acme",
		Channel: "email", Priority: "urgent", Status: "open", OwnerName: "Dana",
		Snippet: "Hi,\r\n\r\nthe printer is on fire.\nPlease help.", SLADue: &due,
	}
}

// cardTexts is every mrkdwn or plain text object of blocks, in order.
func cardTexts(blocks []slackapi.Block) []*slackapi.TextBlockObject {
	var out []*slackapi.TextBlockObject
	for _, b := range blocks {
		switch b := b.(type) {
		case *slackapi.SectionBlock:
			out = append(out, b.Text)
		case *slackapi.HeaderBlock:
			out = append(out, b.Text)
		case *slackapi.ContextBlock:
			for _, el := range b.ContextElements.Elements {
				if tx, ok := el.(*slackapi.TextBlockObject); ok {
					out = append(out, tx)
				}
			}
		case *slackapi.ActionBlock:
			for _, el := range b.Elements.ElementSet {
				out = append(out, el.(*slackapi.ButtonBlockElement).Text)
			}
		}
	}
	return out
}

// cardText is the text of the sections and context lines, one per line.
func cardText(blocks []slackapi.Block) string {
	var lines []string
	for _, tx := range cardTexts(blocks) {
		if tx.Type == slackapi.MarkdownType {
			lines = append(lines, tx.Text)
		}
	}
	return strings.Join(lines, "\n")
}

func cardButtons(t *testing.T, blocks []slackapi.Block) []*slackapi.ButtonBlockElement {
	t.Helper()
	var out []*slackapi.ButtonBlockElement
	n := 0
	for _, b := range blocks {
		if ab, ok := b.(*slackapi.ActionBlock); ok {
			n++
			require.Equal(t, ActionsBlockID, ab.BlockID)
			for _, el := range ab.Elements.ElementSet {
				out = append(out, el.(*slackapi.ButtonBlockElement))
			}
		}
	}
	require.Equal(t, 1, n, "actions blocks")
	return out
}

// cardJSON is blocks as JSON with encoding/json's \u003c, \u003e and
// \u0026 turned back into the characters Slack decodes them to, so the
// test sees what Slack parses. (SetEscapeHTML(false) is not enough:
// slack-go's own MarshalJSON methods, e.g. the context block's, escape.)
func cardJSON(t *testing.T, blocks []slackapi.Block) string {
	t.Helper()
	b, err := json.Marshal(blocks)
	require.NoError(t, err)
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
}

func TestCardBlocksLayout(t *testing.T) {
	fallback, blocks := CardBlocks(sampleCard(), cardNow)
	require.Equal(t, "T-12 (urgent, email): Printer on fire — owner Dana", fallback)
	require.Equal(t, "🔴 *T-12* · urgent · email\n*Printer on fire*\n"+
		"From: Ann Lee · Acme\nOwner: Dana\nStatus: open · not acked yet\n"+
		"First response due: <!date^1741102200^{date_short_pretty} {time}|Mar 4 2025 15:30 UTC>\n"+
		"> Hi,\n> the printer is on fire.\n> Please help.", cardText(blocks))
}

func TestCardBlocksEscapesCustomerText(t *testing.T) {
	const evil = "<!channel> <https://evil.example|login> & <@U999>"
	c := Card{
		TicketID: "T-12", Subject: evil, Customer: evil, Org: evil, Channel: "email", Priority: "high",
		Status: "open", OwnerName: evil, Snippet: evil + "\n" + evil, Offer: evil, Review: evil,
	}
	fallback, blocks := CardBlocks(c, cardNow)
	for _, out := range []string{cardJSON(t, blocks), fallback} {
		require.NotContains(t, out, "<!channel>")
		require.NotContains(t, out, "<https")
		require.NotContains(t, out, "<@U999>")
		require.NotContains(t, out, "& ")
		require.Contains(t, out, "&lt;!channel&gt; &lt;https://evil.example|login&gt; &amp; &lt;@U999&gt;")
	}
	for _, tx := range cardTexts(blocks) {
		if tx.Type == slackapi.MarkdownType {
			require.True(t, tx.Verbatim, "mrkdwn %q is not verbatim: Slack would link bare URLs and names", tx.Text)
		}
	}
}

func TestCardBlocksButtons(t *testing.T) {
	tests := []struct {
		status string
		acked  bool
		want   []string
	}{
		{"open", false, []string{ActionAck, ActionTake, ActionResolve, ActionReply}},
		{"open", true, []string{ActionTake, ActionResolve, ActionReply}},
		{"pending", false, []string{ActionAck, ActionTake, ActionResolve, ActionReply}},
		{"", true, []string{ActionTake, ActionResolve, ActionReply}},
		{"resolved", false, []string{ActionReopen}},
		{"closed", true, []string{ActionReopen}},
	}
	for _, tt := range tests {
		c := sampleCard()
		c.Status, c.Acked = tt.status, tt.acked
		_, blocks := CardBlocks(c, cardNow)
		var got []string
		for _, b := range cardButtons(t, blocks) {
			got = append(got, b.ActionID)
			require.Equal(t, "T-12", b.Value)
			if b.ActionID == ActionResolve {
				require.Equal(t, slackapi.StylePrimary, b.Style)
			}
		}
		require.Equal(t, tt.want, got, "CardBlocks(status %q, acked %v) buttons", tt.status, tt.acked)
	}
}

func TestCardBlocksStatus(t *testing.T) {
	tests := []struct {
		status string
		acked  bool
		want   string
	}{
		{"open", false, "Status: open · not acked yet"},
		{"pending", true, "Status: pending · acked"},
		{"", false, "Status: open · not acked yet"},
		{"resolved", false, "Status: resolved\n"},
	}
	for _, tt := range tests {
		c := sampleCard()
		c.Status, c.Acked = tt.status, tt.acked
		_, blocks := CardBlocks(c, cardNow)
		require.Contains(t, cardText(blocks), tt.want)
	}
}

func TestCardBlocksOwner(t *testing.T) {
	tests := []struct {
		slack, name string
		want        string
	}{
		{"U123ABC", "Dana", "Owner: <@U123ABC>\n"},
		{"", "Dana", "Owner: Dana\n"},
		{"", "", "Owner: nobody yet\n"},
		{"U1> <!here", "Dana", "Owner: Dana\n"}, // not a user id: never pasted raw
	}
	for _, tt := range tests {
		c := sampleCard()
		c.OwnerSlack, c.OwnerName = tt.slack, tt.name
		_, blocks := CardBlocks(c, cardNow)
		require.Contains(t, cardText(blocks), tt.want, "CardBlocks(OwnerSlack %q, OwnerName %q)", tt.slack, tt.name)
		require.NotContains(t, cardText(blocks), "<!here")
	}
}

func TestCardBlocksSLA(t *testing.T) {
	c := sampleCard()
	due := cardNow.Add(-time.Minute)
	c.SLADue = &due
	_, blocks := CardBlocks(c, cardNow)
	require.Contains(t, cardText(blocks), "First response due: <!date^1741100340^{date_short_pretty} {time}|Mar 4 2025 14:59 UTC> · *overdue*\n")

	due = cardNow.Add(time.Minute)
	_, blocks = CardBlocks(c, cardNow)
	require.Contains(t, cardText(blocks), "First response due: <!date^")
	require.NotContains(t, cardText(blocks), "overdue")

	due = cardNow.Add(-time.Minute)
	c.Status = "resolved"
	_, blocks = CardBlocks(c, cardNow)
	require.NotContains(t, cardText(blocks), "First response due")

	c.Status, c.SLADue = "open", nil
	_, blocks = CardBlocks(c, cardNow)
	require.NotContains(t, cardText(blocks), "First response due")
}

func TestCardBlocksSnippet(t *testing.T) {
	tests := []struct {
		name, snippet, want string
	}{
		{"short", "Printer\n\n  is on fire  ", "> Printer\n> is on fire"},
		{"long", strings.Repeat("日本語", 200), "> " + strings.Repeat("日本語", 99) + "日本…"},
		{"many lines", "1\n2\n3\n4\n5\n6\n7\n8", "> 1\n> 2\n> 3\n> 4\n> 5\n> 6…"},
		{"escaped", "a < b && c > d", "> a &lt; b &amp;&amp; c &gt; d"},
		{"bad utf-8", "ok\xff\xfe", "> ok\uFFFD"},
		{"cut before a marker", strings.Repeat("a", 295) + "\u202E" + strings.Repeat("b", 10), "> " + strings.Repeat("a", 295) + "…"},
		{"cut after a marker", strings.Repeat("a", 291) + "\u202E" + strings.Repeat("b", 10), "> " + strings.Repeat("a", 291) + "⟨U+202E⟩…"},
		{"blank", " \n\t\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sampleCard()
			c.Snippet = tt.snippet
			_, blocks := CardBlocks(c, cardNow)
			var quote string
			for _, tx := range cardTexts(blocks) {
				if strings.HasPrefix(tx.Text, "> ") {
					quote = tx.Text
				}
			}
			require.Equal(t, tt.want, quote)
			require.True(t, utf8.ValidString(quote))
		})
	}
}

// TestCardBlocksNeutralizesBidiAndControls: a right-to-left override, an
// ANSI escape or a hidden tag in any customer field shows in the post as a
// marker, and the mrkdwn escaping still holds around it.
func TestCardBlocksNeutralizesBidiAndControls(t *testing.T) {
	const evil = "Invoice \u202Egpj.exe\u202C \x1b[31m<!channel>\u2067&\u2069\u200f\a\u0085\U000E0041"
	c := sampleCard()
	c.Subject, c.Customer, c.Org, c.OwnerName, c.Snippet, c.Review, c.Offer = evil, evil, evil, evil, "Hi\r\n"+evil, evil, evil
	fallback, blocks := CardBlocks(c, cardNow)
	const shown = "Invoice ⟨U+202E⟩gpj.exe⟨U+202C⟩ ␛[31m&lt;!channel&gt;⟨U+2067⟩&amp;⟨U+2069⟩⟨U+200F⟩␇⟨U+0085⟩⟨U+E0041⟩"
	text := cardText(blocks)
	require.Contains(t, text, "*"+shown+"*\n", "the subject")
	require.Contains(t, text, "From: "+shown+" · "+shown+"\n")
	require.Contains(t, text, "> Hi\n> "+shown)
	require.Contains(t, fallback, ": "+shown+" — owner "+shown)
	for _, s := range []string{text, fallback} {
		displaytest.RequireNeutral(t, "the post", s)
		require.NotContains(t, s, "\r")
	}
}

func TestCardBlocksNotes(t *testing.T) {
	c := sampleCard()
	c.Review, c.Offer = "sender not on the org's list", "Sam"
	_, blocks := CardBlocks(c, cardNow)
	require.Contains(t, cardText(blocks), "⚠ needs review: sender not on the org's list\n↪ handoff offered to Sam, waiting for them to accept")

	c.Review, c.Offer = "", ""
	_, blocks = CardBlocks(c, cardNow)
	for _, b := range blocks {
		require.NotEqual(t, slackapi.MBTContext, b.BlockType(), "a context block with nothing to say")
	}
}

// TestCardBlocksLimits fills every field with what grows most when
// escaped or encoded and checks Slack's limits still hold.
func TestCardBlocksLimits(t *testing.T) {
	for _, fill := range []string{"&", "😀", "<\n", "a", "\u202E", "\u0085", "\x1b&"} {
		s := strings.Repeat(fill, 5000)
		due := cardNow
		c := Card{TicketID: s, Subject: s, Customer: s, Org: s, Channel: s, Priority: s, Status: s,
			OwnerName: s, Snippet: s, SLADue: &due, Offer: s, Review: s}
		fallback, blocks := CardBlocks(c, cardNow)
		require.LessOrEqual(t, len(fallback), 4000)
		for _, b := range blocks {
			if h, ok := b.(*slackapi.HeaderBlock); ok {
				require.LessOrEqual(t, utf8.RuneCountInString(h.Text.Text), 150)
			}
		}
		for _, tx := range cardTexts(blocks) {
			require.NoError(t, tx.Validate())
			require.LessOrEqual(t, len(tx.Text), 3000, "text of %d bytes (fill %q)", len(tx.Text), fill)
		}
	}
}

func TestCardBlocksDeterministic(t *testing.T) {
	c := sampleCard()
	c.Review, c.Offer, c.OwnerSlack = "odd", "Sam", "U1"
	f1, b1 := CardBlocks(c, cardNow)
	f2, b2 := CardBlocks(c, cardNow)
	require.Equal(t, f1, f2)
	require.Equal(t, cardJSON(t, b1), cardJSON(t, b2))
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain *bold* _it_", "plain *bold* _it_"},
		{"a & b", "a &amp; b"},
		{"<!channel>", "&lt;!channel&gt;"},
		{"&lt;", "&amp;lt;"},
		{"<https://evil.example|login>", "&lt;https://evil.example|login&gt;"},
		{"\u202Egpj.exe", "⟨U+202E⟩gpj.exe"},
		{"\x1b[1m<!here>", "␛[1m&lt;!here&gt;"},
		{"שלום & مرحبا", "שלום &amp; مرحبا"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, Escape(tt.in), "Escape(%q)", tt.in)
	}
}

// FuzzCardBlocks checks that whatever a customer writes, the only "<" in a
// post is one CardBlocks wrote itself (the owner mention and the date),
// and every text stays valid for Slack.
func FuzzCardBlocks(f *testing.F) {
	f.Add("<!channel> <https://evil.example|login> & <@U999>", "Ann <ann@example.com>", "hi\n> quoted\n```code```", "odd")
	f.Add("日本語\xff", "", "", "")
	f.Add("Invoice \u202Egpj.exe", "\x1b[31mAnn\u2067", "hi\r\n\u0085\U000E0041", "\u200f")
	f.Fuzz(func(t *testing.T, subject, customer, snippet, review string) {
		c := sampleCard()
		c.Subject, c.Customer, c.Snippet, c.Review, c.Offer, c.OwnerSlack = subject, customer, snippet, review, customer, "U1"
		fallback, blocks := CardBlocks(c, cardNow)
		out := cardJSON(t, blocks)
		out = strings.ReplaceAll(out, "<@U1>", "")
		out = strings.ReplaceAll(out, "<!date^1741102200^{date_short_pretty} {time}|Mar 4 2025 15:30 UTC>", "")
		require.NotContains(t, out, "<")
		require.NotContains(t, fallback, "<")
		require.Equal(t, display.Neutralize(fallback), fallback, "no control or bidi character left")
		for _, tx := range cardTexts(blocks) {
			require.NoError(t, tx.Validate())
			require.LessOrEqual(t, len(tx.Text), 3000)
			require.Equal(t, display.Neutralize(tx.Text), tx.Text, "no control or bidi character left")
		}
	})
}
