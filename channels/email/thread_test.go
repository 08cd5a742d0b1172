package email

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTicketToken(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"[T-123] Printer", "T-123", true},
		{"Re: [t-42] Windows update", "T-42", true},
		{"RE: RE: [ T-7 ] x", "T-7", true},
		{"Automatic reply: [T-12] Re: Mailbox quota", "T-12", true},
		{"[T-0042] leading zeros", "T-42", true},
		{"[T-0] zero", "", false},
		{"T-123 without brackets", "", false},
		{"[Northwind T-123]", "", false},
		{"[T-abc]", "", false},
		{"", "", false},
		{"[T-1] and [T-2]", "T-1", true},
	} {
		got, ok := TicketToken(tc.in)
		require.Equal(t, tc.ok, ok, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

func TestReplySubject(t *testing.T) {
	for _, tc := range []struct{ id, in, want string }{
		{"T-5", "Printer offline", "[T-5] Re: Printer offline"},
		{"5", "Printer offline", "[T-5] Re: Printer offline"},
		{"t-5", "Re: [T-5] Printer offline", "[T-5] Re: Printer offline"},
		{"T-5", "[T-5] Re: Printer offline", "[T-5] Re: Printer offline"},
		{"T-5", "RE: Re: AW: Fwd: Printer", "[T-5] Re: Printer"},
		{"T-5", "Re[2]: Printer", "[T-5] Re: Printer"},
		{"T-9", "Re: [T-5] moved", "[T-9] Re: moved"},
		{"T-5", "", "[T-5] Re:"},
		{"T-5", "Hi\r\nBcc: evil@x.example", "[T-5] Re: Hi Bcc: evil@x.example"},
		{"T-5", "Reply needed", "[T-5] Re: Reply needed"},
	} {
		require.Equal(t, tc.want, ReplySubject(tc.id, tc.in), tc.in)
	}
}

func TestSanitizeHeader(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"<id@x>\r\nBcc: attacker@evil.example", "<id@x> Bcc: attacker@evil.example"},
		{"a\nb\rc", "a b c"},
		{"nul\x00byte\x7f", "nulbyte"},
		{"  spaced\t\tout  ", "spaced out"},
		{"line\u2028sep", "line sep"},
		{"bad\xffutf8", "badutf8"},
		{"Grüße 日本", "Grüße 日本"},
	} {
		require.Equal(t, tc.want, SanitizeHeader(tc.in), "%q", tc.in)
	}
}

func TestClassifyHeaders(t *testing.T) {
	mk := func(h map[string]string) Parsed {
		return Parsed{From: Address{Address: "x@customer.example"}, Headers: h}
	}
	for _, tc := range []struct {
		p    Parsed
		want Class
	}{
		{mk(nil), Human},
		{mk(map[string]string{"Auto-Submitted": "no"}), Human},
		{mk(map[string]string{"Auto-Submitted": "auto-generated"}), AutoReply},
		{mk(map[string]string{"Precedence": "bulk"}), Bulk},
		{mk(map[string]string{"Precedence": "junk"}), Bulk},
		{mk(map[string]string{"Precedence": "auto_reply"}), AutoReply},
		{mk(map[string]string{"List-Unsubscribe": "<mailto:u@x>"}), Bulk},
		{mk(map[string]string{"X-Autorespond": "1"}), AutoReply},
		{mk(map[string]string{"Return-Path": "<>"}), AutoReply},
		{mk(map[string]string{"Return-Path": "<x@customer.example>"}), Human},
		{mk(map[string]string{"X-Auto-Response-Suppress": "All"}), Human},
		{mk(map[string]string{"X-Loop": "support@intake.example"}), Loop},
		{Parsed{From: Address{Address: "postmaster@mx.example"}}, Bounce},
		{Parsed{From: Address{Address: "helpdesk@intake.example"}}, Loop},
	} {
		got, reason := Classify(tc.p, ours)
		require.Equal(t, tc.want, got, "%v %s", tc.p.Headers, reason)
	}
}

func TestNewText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Thanks!\n\nOn Mon, 2 Mar 2026 at 09:00, Support <s@x> wrote:\n> old", "Thanks!"},
		{"Fine.\n\nAm 02.03.2026 um 09:00 schrieb Support <s@x>:\n> alt", "Fine."},
		{"Yes\n\n________________________________\nFrom: Support <s@x>\nSent: Monday\nTo: me\n", "Yes"},
		{"Yes\nFrom: Support <s@x>\nSent: Monday\nTo: me\nSubject: x\n\nold", "Yes"},
		{"inline\n> quoted\nanswer\n", "inline\nanswer"},
		{"> all quoted\n> here", "> all quoted\n> here"},
		{"From: the start I said it\nworks", "From: the start I said it\nworks"},
		{"body\n--\nsig", "body"},
	} {
		require.Equal(t, tc.want, NewText(tc.in), "%q", tc.in)
	}
}

func TestHTMLToText(t *testing.T) {
	got := HTMLToText(`<html><head><style>x{}</style><script>evil()</script></head><body><p>A &amp; B</p><div>C<br>D</div><script>bad()</script><ul><li>one</li><li>two</li></ul><blockquote>q</blockquote></body></html>`)
	require.Equal(t, "A & B\n\nC\nD\n- one\n- two\n\n> q", got)
	require.NotContains(t, got, "evil")
}

func TestHTMLInlineSpacing(t *testing.T) {
	require.Equal(t, "at 97%. Bold", HTMLToText(`<p>at&nbsp;<span>97%</span>. <b>Bold</b></p>`))
	require.Equal(t, "see docs (https://x.example/d)", HTMLToText(`see <a href="https://x.example/d">docs</a>`))
	require.Equal(t, "x (y)", HTMLToText(`x <a href="javascript:alert(1)">(y)</a>`))
}

func TestHTMLReplyQuoteTrimmed(t *testing.T) {
	apple := `<html><body dir="auto"><div dir="ltr">Still broken.</div><div dir="ltr"><br><div dir="ltr">Sent from my iPhone</div><div dir="ltr"><br><blockquote type="cite">On 3 Mar 2026, at 10:02, IT Support &lt;support@intake.example&gt; wrote:<br><br></blockquote></div><blockquote type="cite"><div dir="ltr">Hi Ann, please restart.<br><br>[T-42]</div></blockquote></div></body></html>`
	require.Equal(t, "Still broken.", NewText(HTMLToText(apple)))
	gmail := `<div dir="ltr">Done, thanks</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Mar 2, 2026 at 9:00 AM Support &lt;s@x&gt; wrote:<br></div><blockquote class="gmail_quote">Try now</blockquote></div>`
	require.Equal(t, "Done, thanks", NewText(HTMLToText(gmail)))
}
