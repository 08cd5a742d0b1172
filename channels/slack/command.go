package slack

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Verb is a /ticket subcommand.
type Verb string

// The /ticket subcommands.
const (
	VerbMine    Verb = "mine"
	VerbAck     Verb = "ack"
	VerbTake    Verb = "take"
	VerbAssign  Verb = "assign"
	VerbAccept  Verb = "accept"
	VerbResolve Verb = "resolve"
	VerbNote    Verb = "note"
	VerbTime    Verb = "time"
	VerbAway    Verb = "away"
	VerbBack    Verb = "back"
	VerbHelp    Verb = "help"
)

// Command is one /ticket line, parsed. Only the fields its Verb uses are
// set.
type Command struct {
	Verb Verb
	// Ticket is the ticket, normalised to "T-12", for every verb but mine,
	// away, back and help.
	Ticket string
	// User is, for assign, the Slack user id of a mention (<@U123>).
	User string
	// Name is, for assign, the person written as a plain name ("@dana" or
	// "dana", kept without the "@") when Slack did not send a mention; the
	// caller looks the rep up by it.
	Name string
	// Text is, for note, the note, and for time, the optional note after
	// the duration: trimmed, with Slack's &amp; &lt; &gt; undone, and
	// possibly several lines.
	Text string
	// Minutes is, for time, the time spent: 1 to 1440.
	Minutes int
}

// subcommands lists the verbs in the order Help shows them: the arguments
// each takes and, when it takes any, what a line without them lacks.
var subcommands = []struct {
	verb  Verb
	args  string
	needs string
	does  string
}{
	{VerbMine, "", "", "list the open tickets you own"},
	{VerbAck, "T-12", "a ticket", "acknowledge a ticket you own"},
	{VerbTake, "T-12", "a ticket", "take a ticket over"},
	{VerbAssign, "T-12 @dana", "a ticket and a person", "hand a ticket to a rep (a manager assigns it, anyone else offers it)"},
	{VerbAccept, "T-12", "a ticket", "accept a ticket offered to you"},
	{VerbResolve, "T-12", "a ticket", "mark a ticket resolved"},
	{VerbNote, "T-12 text", "a ticket and the note", "add an internal note the customer never sees"},
	{VerbTime, "T-12 45m [note]", "a ticket and how long", "log time spent: 45m, 1h30m, 1.5h, 2h 15m or 90 (minutes)"},
	{VerbAway, "", "", "stop getting new tickets"},
	{VerbBack, "", "", "get new tickets again"},
	{VerbHelp, "", "", "show this list"},
}

// Help is the usage text: one line per subcommand.
func Help() string {
	var b strings.Builder
	for i, s := range subcommands {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(example(s.verb) + " — " + s.does)
	}
	return b.String()
}

// ParseCommand parses the text of a /ticket command (what follows
// "/ticket"): `mine | ack T-n | take T-n | assign T-n @user | accept T-n |
// resolve T-n | note T-n text… | time T-n 45m [note…] | away | back |
// help`. Verbs are case-insensitive; a ticket may be written T-12, t-12,
// T12, #12 or 12; empty text is help. It does no I/O. Every error is a
// sentence for the rep saying what is wrong and how to write it; it
// quotes their words as they are, so escape it (Escape) before sending it
// as Slack text.
func ParseCommand(text string) (Command, error) {
	word, rest := cutWord(text)
	if word == "" {
		return Command{Verb: VerbHelp}, nil
	}
	cmd := Command{Verb: Verb(strings.ToLower(word))}
	sub := subcommand(cmd.Verb)
	switch {
	case sub < 0:
		return Command{}, fmt.Errorf("unknown command %q; try /ticket help", clip(word, 30))
	case cmd.Verb == VerbHelp:
		return cmd, nil
	case subcommands[sub].args == "":
		if rest != "" {
			return Command{}, fmt.Errorf("%q takes nothing after it: %s", cmd.Verb, example(cmd.Verb))
		}
		return cmd, nil
	}
	word, rest = cutWord(rest)
	if word == "" {
		return Command{}, needs(cmd.Verb)
	}
	var ok bool
	if cmd.Ticket, ok = ticketID(word); !ok {
		return Command{}, fmt.Errorf("%q is not a ticket number; they look like T-12", clip(word, 30))
	}
	var err error
	switch cmd.Verb {
	case VerbAssign:
		err = cmd.person(rest)
	case VerbNote:
		if cmd.Text = noteText(rest); cmd.Text == "" {
			err = needs(cmd.Verb)
		}
	case VerbTime:
		err = cmd.duration(rest)
	default:
		if rest != "" {
			err = fmt.Errorf("%q takes just a ticket: %s", cmd.Verb, example(cmd.Verb))
		}
	}
	if err != nil {
		return Command{}, err
	}
	return cmd, nil
}

// person reads assign's "@dana" or <@U123|dana> mention, and nothing more.
func (c *Command) person(s string) error {
	word, rest := cutWord(s)
	switch {
	case word == "":
		return needs(c.Verb)
	case rest != "":
		return fmt.Errorf("%q takes a ticket and one person: %s", c.Verb, example(c.Verb))
	case strings.HasPrefix(word, "<@") && strings.HasSuffix(word, ">"):
		id, _, _ := strings.Cut(word[2:len(word)-1], "|")
		if isUserID(id) {
			c.User = id
			return nil
		}
	default:
		if name := strings.TrimPrefix(word, "@"); isName(name) {
			c.Name = name
			return nil
		}
	}
	return fmt.Errorf("%q is not a person; name a rep, like @dana", clip(word, 30))
}

// durationRE is one word of a duration, lowercased: hours (which may have
// a fraction), minutes, or hours then minutes ("1h30m", "1h30").
var durationRE = regexp.MustCompile(`^(?:(\d+(?:\.\d+)?)(?:h|hr|hrs))?(?:(\d+)(?:m|min|mins)?)?$`)

// minutesRE is a word of minutes with a unit, the "15m" of "2h 15m".
var minutesRE = regexp.MustCompile(`^(\d+)(?:m|min|mins)$`)

// duration reads time's duration ("45m", "1h30m", "1.5h", "90", "2h 15m")
// and the note after it.
func (c *Command) duration(s string) error {
	word, rest := cutWord(s)
	if word == "" {
		return needs(c.Verb)
	}
	word = strings.ToLower(word)
	m := durationRE.FindStringSubmatch(word)
	if m == nil {
		return fmt.Errorf("%q is not a duration; try 45m or 1h30m", clip(word, 30))
	}
	if m[1] != "" && m[2] == "" {
		next, after := cutWord(rest)
		if mm := minutesRE.FindStringSubmatch(strings.ToLower(next)); mm != nil {
			word, m[2], rest = word+" "+mm[0], mm[1], after
		}
	}
	// Digits too many to parse are out of range, like any other excess.
	minutes := -1
	hours, herr := strconv.ParseFloat(firstNonEmpty(m[1], "0"), 64)
	mins, merr := strconv.Atoi(firstNonEmpty(m[2], "0"))
	if herr == nil && merr == nil && hours <= 24 && mins <= 24*60 {
		minutes = mins + int(math.Round(hours*60))
	}
	if minutes < 1 || minutes > 24*60 {
		return fmt.Errorf("%q is out of range; log from 1m up to 24h at a time", clip(word, 30))
	}
	c.Minutes, c.Text = minutes, noteText(rest)
	return nil
}

// subcommand is v's index in subcommands, or -1.
func subcommand(v Verb) int {
	for i, s := range subcommands {
		if s.verb == v {
			return i
		}
	}
	return -1
}

// example is v's usage: "/ticket assign T-12 @dana".
func example(v Verb) string {
	if args := subcommands[subcommand(v)].args; args != "" {
		return "/ticket " + string(v) + " " + args
	}
	return "/ticket " + string(v)
}

// needs is the error for a line that stops short of v's arguments.
func needs(v Verb) error {
	return fmt.Errorf("%q needs %s: %s", v, subcommands[subcommand(v)].needs, example(v))
}

// cutWord splits s into its first word and the rest, both trimmed.
func cutWord(s string) (word, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// ticketID normalises T-12, t-12, T12, #12 and 12 to "T-12".
func ticketID(s string) (string, bool) {
	s = strings.TrimPrefix(s, "#")
	if s != "" && (s[0] == 'T' || s[0] == 't') {
		s = strings.TrimPrefix(s[1:], "-")
	}
	n, err := strconv.ParseUint(s, 10, 63)
	if err != nil || n == 0 {
		return "", false
	}
	return "T-" + strconv.FormatUint(n, 10), true
}

// noteText is the rep's words as they wrote them: Slack sends &, < and >
// escaped in command text.
func noteText(s string) string {
	return strings.TrimSpace(strings.ToValidUTF8(unescape(s), "\uFFFD"))
}

// isUserID reports whether s looks like a Slack user id (U… or W…).
func isUserID(s string) bool {
	if len(s) < 3 || len(s) > 32 || (s[0] != 'U' && s[0] != 'W') {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// isName reports whether s can be a rep's name or id: letters, digits and
// . - _ ' only.
func isName(s string) bool {
	if s == "" || len(s) > 80 {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(".-_'", r) {
			return false
		}
	}
	return true
}
