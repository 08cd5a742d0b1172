package email

import (
	"regexp"
	"strings"
)

var (
	// "On Tue, 3 Mar 2026 at 10:02, Ann <ann@x> wrote:" and translations;
	// the attribution may wrap onto a second line.
	attribStart = regexp.MustCompile(`(?i)^(on|am|le|el|il|op|em|den|på)\s.{0,300}$`)
	attribEnd   = regexp.MustCompile(`(?i)((wrote|a écrit|escribió|ha scritto|schreef|escreveu|skrev)\s*:|\bschrieb\b.*:)\s*$`)
	origMsg     = regexp.MustCompile(`(?i)^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|forwarded message|mensaje original)\s*-{2,}\s*$`)
	outlookFrom = regexp.MustCompile(`(?i)^\*?(from|von|de|da)\s*:\*?\s`)
	outlookNext = regexp.MustCompile(`(?i)^\*?(sent|date|gesendet|envoyé|enviado|to|an|subject|betreff|cc)\s*:\*?\s`)
	underscores = regexp.MustCompile(`^_{8,}\s*$`)
	mobileSig   = regexp.MustCompile(`(?i)^(sent from my \w+|sent from (outlook|mail) for \w+|get outlook for \w+|von meinem \w+ gesendet)\b.{0,40}$`)
)

// NewText returns the part of a reply body the sender wrote now: it cuts
// at the first quoted-history header ("On ... wrote:", "-----Original
// Message-----", an Outlook "From:/Sent:" block) or signature delimiter
// ("-- "), drops lines quoted with ">" and trailing "Sent from my ..."
// lines. When nothing would be left it returns text unchanged.
func NewText(text string) string {
	lines := strings.Split(text, "\n")
	cut := len(lines)
	for i := 0; i < len(lines) && cut == len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		switch {
		case lines[i] == "-- " || l == "--":
			cut = i
		case origMsg.MatchString(l):
			cut = i
		case attribEnd.MatchString(l) && attribStart.MatchString(l):
			cut = i
		case attribEnd.MatchString(l) && i > 0 && attribStart.MatchString(strings.TrimSpace(lines[i-1])):
			cut = i - 1
		case underscores.MatchString(l) && i+1 < len(lines) && outlookFrom.MatchString(strings.TrimSpace(lines[i+1])):
			cut = i
		case outlookFrom.MatchString(l) && outlookHeaderBlock(lines[i+1:]):
			cut = i
		}
	}
	var kept []string
	for _, l := range lines[:cut] {
		if strings.HasPrefix(strings.TrimLeft(l, " "), ">") {
			continue
		}
		kept = append(kept, l)
	}
	// Trailing blank lines and mobile signatures.
	for len(kept) > 0 {
		l := strings.TrimSpace(kept[len(kept)-1])
		if l == "" || mobileSig.MatchString(l) {
			kept = kept[:len(kept)-1]
			continue
		}
		break
	}
	out := strings.TrimSpace(collapseBlank(kept))
	if out == "" {
		return text
	}
	return out
}

// outlookHeaderBlock: a "From:" line followed within four lines by
// "Sent:"/"Date:" and another header-like line.
func outlookHeaderBlock(next []string) bool {
	n := 0
	for i := 0; i < len(next) && i < 4; i++ {
		l := strings.TrimSpace(next[i])
		if outlookNext.MatchString(l) {
			n++
		}
	}
	return n >= 2
}

func collapseBlank(lines []string) string {
	var b strings.Builder
	blank := 0
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		b.WriteString(strings.TrimRight(l, " \t"))
		b.WriteString("\n")
	}
	return b.String()
}
