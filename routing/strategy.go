package routing

import (
	"fmt"
	"strings"
	"unicode"
)

// byStrategy picks among eligible reps (non-empty, in roster order) by the
// team's strategy. Both strategies break their last tie by roster order,
// which the input order already gives, so the first minimum wins.
func (s *selector) byStrategy(eligible []Rep) pick {
	if s.team.Strategy == RoundRobin {
		return s.roundRobin(eligible)
	}
	return s.leastLoaded(eligible)
}

// leastLoaded: fewest open tickets, then idle longest (never assigned is
// idlest), then roster order.
func (s *selector) leastLoaded(eligible []Rep) pick {
	best := eligible[0]
	for _, rep := range eligible[1:] {
		if s.lessLoaded(rep, best) {
			best = rep
		}
	}
	text := fmt.Sprintf("%s had %d open", best.ID, s.st.Open[best.ID])
	tie, sameIdle := false, false
	for _, rep := range eligible {
		if rep.ID != best.ID && s.st.Open[rep.ID] == s.st.Open[best.ID] {
			tie = true
			sameIdle = sameIdle || s.st.LastAssigned[rep.ID].Equal(s.st.LastAssigned[best.ID])
		}
	}
	switch {
	case tie && sameIdle:
		text += " (tie, first in roster)"
	case tie:
		text += " (tie, idle longest)"
	}
	return pick{owner: best.ID, step: string(LeastLoaded), text: text}
}

func (s *selector) lessLoaded(a, b Rep) bool {
	if oa, ob := s.st.Open[a.ID], s.st.Open[b.ID]; oa != ob {
		return oa < ob
	}
	return s.st.LastAssigned[a.ID].Before(s.st.LastAssigned[b.ID])
}

// roundRobin: the rep whose last assignment is oldest (never assigned is
// oldest), then roster order.
func (s *selector) roundRobin(eligible []Rep) pick {
	best := eligible[0]
	for _, rep := range eligible[1:] {
		if s.st.LastAssigned[rep.ID].Before(s.st.LastAssigned[best.ID]) {
			best = rep
		}
	}
	text := best.ID + ", longest since last assignment"
	if s.st.LastAssigned[best.ID].IsZero() {
		text = best.ID + ", never assigned"
	}
	for _, rep := range eligible {
		if rep.ID != best.ID && s.st.LastAssigned[rep.ID].Equal(s.st.LastAssigned[best.ID]) {
			text += " (tie, first in roster)"
			break
		}
	}
	return pick{owner: best.ID, step: string(RoundRobin), text: text}
}

// maxRefusals caps how many per-rep notes a fallback reason lists, so one
// line stays readable for a big team.
const maxRefusals = 5

// summarize joins refusal notes for a fallback reason, eliding past maxRefusals.
func summarize(notes []string) string {
	switch {
	case len(notes) == 0:
		return "no members"
	case len(notes) > maxRefusals:
		return strings.Join(notes[:maxRefusals-1], ", ") + fmt.Sprintf(", and %d more", len(notes)-maxRefusals+1)
	}
	return strings.Join(notes, ", ")
}

// oneLine keeps a reason on one line whatever ids, names or regexps went
// into it, since it is stored as a single-line event field.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
