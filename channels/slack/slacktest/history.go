package slacktest

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
)

// history answers conversations.history: the channel's top-level
// messages posted through this server, newest first, with Slack's
// filters (oldest, latest, inclusive), paging (limit, cursor) and
// metadata only when include_all_metadata is set.
func (s *Server) history(p url.Values) answer {
	ch := p.Get("channel")
	if ch == "" {
		return failed("channel_not_found")
	}
	limit, err := strconv.Atoi(p.Get("limit"))
	if err != nil || limit <= 0 {
		limit = 100
	}
	limit = min(limit, 999)
	inclusive := truthy(p.Get("inclusive"))
	withMetadata := truthy(p.Get("include_all_metadata"))
	below := ""
	if c, err := base64.StdEncoding.DecodeString(p.Get("cursor")); err == nil {
		below, _ = strings.CutPrefix(string(c), "next_ts:")
	}
	var out []answer
	more := false
	for i := len(s.msgs) - 1; i >= 0; i-- {
		m := s.msgs[i]
		if m.Channel != ch || (m.ThreadTS != "" && m.ThreadTS != m.TS) ||
			!inRange(m.TS, p.Get("oldest"), p.Get("latest"), inclusive) || (below != "" && !tsLess(m.TS, below)) {
			continue
		}
		if len(out) == limit {
			more = true
			break
		}
		out = append(out, s.historyMessageLocked(m, withMetadata))
	}
	next := ""
	if more {
		next = base64.StdEncoding.EncodeToString([]byte("next_ts:" + out[len(out)-1]["ts"].(string)))
	}
	return answer{"ok": true, "messages": out, "has_more": more, "pin_count": 0,
		"response_metadata": answer{"next_cursor": next}}
}

// historyMessageLocked is m as conversations.history lists it, with its
// thread's reply count.
func (s *Server) historyMessageLocked(m *Message, withMetadata bool) answer {
	out := messageJSON(m, withMetadata)
	replies := 0
	for _, r := range s.msgs {
		if r.Channel == m.Channel && r.ThreadTS == m.TS && r.TS != m.TS {
			replies++
		}
	}
	if replies > 0 {
		out["thread_ts"], out["reply_count"] = m.TS, replies
	}
	return out
}

func truthy(v string) bool { return v == "1" || v == "true" }

// inRange reports whether ts lies between oldest and latest (either may
// be empty), the ends included only when inclusive.
func inRange(ts, oldest, latest string, inclusive bool) bool {
	if oldest != "" && (tsLess(ts, oldest) || (!inclusive && ts == oldest)) {
		return false
	}
	if latest != "" && (tsLess(latest, ts) || (!inclusive && ts == latest)) {
		return false
	}
	return true
}

// tsLess compares Slack timestamps ("seconds.micros") as numbers.
func tsLess(a, b string) bool {
	as, af, _ := strings.Cut(a, ".")
	bs, bf, _ := strings.Cut(b, ".")
	if len(as) != len(bs) {
		return len(as) < len(bs)
	}
	if as != bs {
		return as < bs
	}
	af, bf = af+strings.Repeat("0", max(0, 6-len(af))), bf+strings.Repeat("0", max(0, 6-len(bf)))
	return af < bf
}
