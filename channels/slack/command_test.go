package slack

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text string
		want Command
	}{
		{"", Command{Verb: VerbHelp}},
		{"  \n ", Command{Verb: VerbHelp}},
		{"help", Command{Verb: VerbHelp}},
		{"help assign", Command{Verb: VerbHelp}},
		{"mine", Command{Verb: VerbMine}},
		{"MINE", Command{Verb: VerbMine}},
		{"away", Command{Verb: VerbAway}},
		{" Back ", Command{Verb: VerbBack}},

		{"ack T-12", Command{Verb: VerbAck, Ticket: "T-12"}},
		{"Ack t-12", Command{Verb: VerbAck, Ticket: "T-12"}},
		{"take 12", Command{Verb: VerbTake, Ticket: "T-12"}},
		{"accept #12", Command{Verb: VerbAccept, Ticket: "T-12"}},
		{"resolve T12", Command{Verb: VerbResolve, Ticket: "T-12"}},
		{"resolve  T-007", Command{Verb: VerbResolve, Ticket: "T-7"}},
		{"ack\u00a0T-3", Command{Verb: VerbAck, Ticket: "T-3"}},

		{"assign T-12 <@U024BE7LH>", Command{Verb: VerbAssign, Ticket: "T-12", User: "U024BE7LH"}},
		{"assign T-12 <@U024BE7LH|dana>", Command{Verb: VerbAssign, Ticket: "T-12", User: "U024BE7LH"}},
		{"assign T-12 <@W0ENTERPRISE>", Command{Verb: VerbAssign, Ticket: "T-12", User: "W0ENTERPRISE"}},
		{"assign T-12 @dana", Command{Verb: VerbAssign, Ticket: "T-12", Name: "dana"}},
		{"ASSIGN 12 dana.m", Command{Verb: VerbAssign, Ticket: "T-12", Name: "dana.m"}},
		{"assign T-12 @José", Command{Verb: VerbAssign, Ticket: "T-12", Name: "José"}},

		{"note T-12 called back, printer fixed", Command{Verb: VerbNote, Ticket: "T-12", Text: "called back, printer fixed"}},
		{"note T-12  first line\nsecond line \n", Command{Verb: VerbNote, Ticket: "T-12", Text: "first line\nsecond line"}},
		{"note T-12 a &lt; b &amp;&amp; <@U1>", Command{Verb: VerbNote, Ticket: "T-12", Text: "a < b && <@U1>"}},

		{"time T-12 45m", Command{Verb: VerbTime, Ticket: "T-12", Minutes: 45}},
		{"time T-12 1h", Command{Verb: VerbTime, Ticket: "T-12", Minutes: 60}},
		{"time T-12 1h30m", Command{Verb: VerbTime, Ticket: "T-12", Minutes: 90}},
		{"time T-12 1H30", Command{Verb: VerbTime, Ticket: "T-12", Minutes: 90}},
		{"time T-12 1.5h", Command{Verb: VerbTime, Ticket: "T-12", Minutes: 90}},
		{"time T-12 0.25hr", Command{Verb: VerbTime, Ticket: "T-12", Minutes: 15}},
		{"time T-12 90", Command{Verb: VerbTime, Ticket: "T-12", Minutes: 90}},
		{"time T-12 20mins", Command{Verb: VerbTime, Ticket: "T-12", Minutes: 20}},
		{"time T-12 2h 15m", Command{Verb: VerbTime, Ticket: "T-12", Minutes: 135}},
		{"time T-12 2h 15min on site", Command{Verb: VerbTime, Ticket: "T-12", Minutes: 135, Text: "on site"}},
		{"time T-12 2h 15 calls", Command{Verb: VerbTime, Ticket: "T-12", Minutes: 120, Text: "15 calls"}},
		{"time T-12 45m replaced the fuser\nand tested", Command{Verb: VerbTime, Ticket: "T-12", Minutes: 45, Text: "replaced the fuser\nand tested"}},
		{"time T-12 24h", Command{Verb: VerbTime, Ticket: "T-12", Minutes: 1440}},
		{"time T-12 1", Command{Verb: VerbTime, Ticket: "T-12", Minutes: 1}},
	}
	for _, tt := range tests {
		got, err := ParseCommand(tt.text)
		require.NoError(t, err, "ParseCommand(%q)", tt.text)
		require.Equal(t, tt.want, got, "ParseCommand(%q)", tt.text)
	}
}

func TestParseCommandErrors(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"foo", `unknown command "foo"; try /ticket help`},
		{"<!channel>", `unknown command "<!channel>"; try /ticket help`},
		{"mine T-12", `"mine" takes nothing after it: /ticket mine`},
		{"away until 3pm", `"away" takes nothing after it: /ticket away`},

		{"ack", `"ack" needs a ticket: /ticket ack T-12`},
		{"take", `"take" needs a ticket: /ticket take T-12`},
		{"accept", `"accept" needs a ticket: /ticket accept T-12`},
		{"resolve", `"resolve" needs a ticket: /ticket resolve T-12`},
		{"resolve T-12 fixed it", `"resolve" takes just a ticket: /ticket resolve T-12`},

		{"ack T-x", `"T-x" is not a ticket number; they look like T-12`},
		{"ack T-0", `"T-0" is not a ticket number; they look like T-12`},
		{"ack T--12", `"T--12" is not a ticket number; they look like T-12`},
		{"ack -12", `"-12" is not a ticket number; they look like T-12`},
		{"ack +12", `"+12" is not a ticket number; they look like T-12`},
		{"ack 99999999999999999999", `"99999999999999999999" is not a ticket number; they look like T-12`},
		{"ack 1_000", `"1_000" is not a ticket number; they look like T-12`},

		{"assign", `"assign" needs a ticket and a person: /ticket assign T-12 @dana`},
		{"assign T-12", `"assign" needs a ticket and a person: /ticket assign T-12 @dana`},
		{"assign T-12 @dana @sam", `"assign" takes a ticket and one person: /ticket assign T-12 @dana`},
		{"assign T-12 <!here>", `"<!here>" is not a person; name a rep, like @dana`},
		{"assign T-12 <#C123|general>", `"<#C123|general>" is not a person; name a rep, like @dana`},
		{"assign T-12 <@u12>", `"<@u12>" is not a person; name a rep, like @dana`},
		{"assign T-12 @", `"@" is not a person; name a rep, like @dana`},

		{"note", `"note" needs a ticket and the note: /ticket note T-12 text`},
		{"note T-12", `"note" needs a ticket and the note: /ticket note T-12 text`},
		{"note T-12 \n ", `"note" needs a ticket and the note: /ticket note T-12 text`},

		{"time", `"time" needs a ticket and how long: /ticket time T-12 45m [note]`},
		{"time T-12", `"time" needs a ticket and how long: /ticket time T-12 45m [note]`},
		{"time 45m", `"45m" is not a ticket number; they look like T-12`},
		{"time T-12 45x", `"45x" is not a duration; try 45m or 1h30m`},
		{"time T-12 1.5", `"1.5" is not a duration; try 45m or 1h30m`},
		{"time T-12 1h30s", `"1h30s" is not a duration; try 45m or 1h30m`},
		{"time T-12 -5m", `"-5m" is not a duration; try 45m or 1h30m`},
		{"time T-12 0m", `"0m" is out of range; log from 1m up to 24h at a time`},
		{"time T-12 1441", `"1441" is out of range; log from 1m up to 24h at a time`},
		{"time T-12 24h 1m", `"24h 1m" is out of range; log from 1m up to 24h at a time`},
		{"time T-12 0.001h", `"0.001h" is out of range; log from 1m up to 24h at a time`},
		{"time T-12 99999999999999999999m", `"99999999999999999999m" is out of range; log from 1m up to 24h at a time`},
	}
	for _, tt := range tests {
		got, err := ParseCommand(tt.text)
		require.EqualError(t, err, tt.want, "ParseCommand(%q)", tt.text)
		require.Equal(t, Command{}, got, "ParseCommand(%q)", tt.text)
	}
}

func TestParseCommandQuotesLongInputShort(t *testing.T) {
	_, err := ParseCommand(strings.Repeat("x", 5000))
	require.Less(t, len(err.Error()), 100)
}

func TestHelp(t *testing.T) {
	lines := strings.Split(Help(), "\n")
	require.Len(t, lines, len(subcommands))
	for i, s := range subcommands {
		require.True(t, strings.HasPrefix(lines[i], "/ticket "+string(s.verb)), "Help() line %d = %q", i, lines[i])
	}
	require.Contains(t, Help(), "/ticket assign T-12 @dana — ")
	require.NotContains(t, Help(), "<")
}

var ticketRE = regexp.MustCompile(`^T-[1-9][0-9]*$`)

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"", "help", "mine", "ack T-12", "take 12", "accept #3", "resolve t-9",
		"assign T-12 <@U024BE7LH|dana>", "assign T-1 @dana", "note T-12 a\nb &amp; c",
		"time T-12 2h 15m fixed", "time 7 1.5h", "time T-12 45x", "away", "back", "foo bar",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, err := ParseCommand(text)
		if err != nil {
			require.Equal(t, Command{}, cmd)
			require.NotEmpty(t, err.Error())
			return
		}
		i := subcommand(cmd.Verb)
		require.GreaterOrEqual(t, i, 0, "unknown verb %q", cmd.Verb)
		if subcommands[i].args == "" {
			require.Equal(t, Command{Verb: cmd.Verb}, cmd)
			return
		}
		require.Regexp(t, ticketRE, cmd.Ticket)
		switch cmd.Verb {
		case VerbAssign:
			require.True(t, (cmd.User == "") != (cmd.Name == ""), "assign needs exactly one of User, Name: %+v", cmd)
		case VerbNote:
			require.NotEmpty(t, cmd.Text)
		case VerbTime:
			require.True(t, cmd.Minutes >= 1 && cmd.Minutes <= 1440, "Minutes = %d", cmd.Minutes)
		}
	})
}
