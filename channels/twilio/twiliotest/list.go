package twiliotest

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// AddInbound records a text a customer sent: from to to (one of the
// account's numbers), body, date_sent at, status "received". An empty sid
// gets a fresh one. The list endpoint returns it with direction "inbound".
func (s *Server) AddInbound(sid, from, to, body string, at time.Time) {
	if sid == "" {
		sid = newSID("SM")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inbound = append(s.inbound, Inbound{SID: sid, From: from, To: to, Body: body, At: at.UTC(), Status: "received"})
}

// AddMedia attaches a media item of contentType to the inbound message
// messageSID and returns the media's SID. It panics when no such message
// was added.
func (s *Server) AddMedia(messageSID, contentType string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.findInbound(messageSID)
	if i < 0 {
		panic("twiliotest: AddMedia: no inbound message " + messageSID)
	}
	in := &s.inbound[i]
	m := Media{SID: newSID("ME"), ContentType: contentType, At: in.At}
	in.Media = append(in.Media, m)
	return m.SID
}

// SetStatus changes an inbound message's status ("receiving" while Twilio
// still fetches an MMS's media). It panics when no such message was added.
func (s *Server) SetStatus(messageSID, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.findInbound(messageSID)
	if i < 0 {
		panic("twiliotest: SetStatus: no inbound message " + messageSID)
	}
	s.inbound[i].Status = status
}

// SetMaxPageSize caps the page size the list endpoints answer with
// (Twilio's cap is 1000), so a few records take several pages.
func (s *Server) SetMaxPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxPageSize = max(n, 1)
}

// ListQueries returns the query of every authenticated message-list
// request, oldest first.
func (s *Server) ListQueries() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.lists)
}

func (s *Server) findInbound(sid string) int {
	return slices.IndexFunc(s.inbound, func(in Inbound) bool { return in.SID == sid })
}

// record is one message as the list endpoint sees it.
type record struct {
	sid, direction, status, from, to, body string
	numMedia                               int
	at                                     time.Time // date_created and date_sent
}

// listMessages answers GET .../Messages.json: the sent and inbound
// messages matching To, From, DateSent, DateSent< and DateSent> (RFC 3339
// times, or YYYY-MM-DD dates in GMT), newest first, one page of them.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	account := r.PathValue("account")
	if !s.authorized(w, r) {
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	s.lists = append(s.lists, q)
	s.mu.Unlock()
	if s.injected(w, q.Get("To")) {
		return
	}
	match, err := dateFilter(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, 20001, err.Error())
		return
	}

	s.mu.Lock()
	var recs []record
	for _, m := range s.sent {
		recs = append(recs, record{sid: m.SID, direction: "outbound-api", status: "sent", from: m.From, to: m.To,
			body: m.Body, numMedia: len(m.MediaURLs), at: m.At})
	}
	for _, in := range s.inbound {
		recs = append(recs, record{sid: in.SID, direction: "inbound", status: in.Status, from: in.From, to: in.To,
			body: in.Body, numMedia: len(in.Media), at: in.At})
	}
	maxSize := s.maxPageSize
	s.mu.Unlock()

	recs = slices.DeleteFunc(recs, func(m record) bool {
		return q.Has("To") && m.to != q.Get("To") || q.Has("From") && m.from != q.Get("From") || !match(m.at)
	})
	slices.SortStableFunc(recs, func(a, b record) int {
		return cmp.Or(b.at.Compare(a.at), cmp.Compare(a.sid, b.sid))
	})
	items := make([]any, len(recs))
	for i, m := range recs {
		items[i] = messageJSON(account, m.sid, m.direction, m.status, m.from, m.to, m.body, m.numMedia, m.at, m.at)
	}
	writePage(w, r, "messages", items, maxSize)
}

// listMedia answers GET .../Messages/{sid}/Media.json for any message the
// server knows; an outbound one has no media here.
func (s *Server) listMedia(w http.ResponseWriter, r *http.Request) {
	account, sid := r.PathValue("account"), r.PathValue("sid")
	if !s.authorized(w, r) || s.injected(w, "") {
		return
	}
	s.mu.Lock()
	var media []Media
	found := slices.ContainsFunc(s.sent, func(m Sent) bool { return m.SID == sid })
	if i := s.findInbound(sid); i >= 0 {
		media, found = slices.Clone(s.inbound[i].Media), true
	}
	maxSize := s.maxPageSize
	s.mu.Unlock()
	if !found {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	items := make([]any, len(media))
	for i, m := range media {
		items[i] = map[string]any{
			"account_sid":  account,
			"content_type": m.ContentType,
			"date_created": rfc2822(m.At),
			"date_updated": rfc2822(m.At),
			"parent_sid":   sid,
			"sid":          m.SID,
			"uri":          "/2010-04-01/Accounts/" + account + "/Messages/" + sid + "/Media/" + m.SID + ".json",
		}
	}
	writePage(w, r, "media_list", items, maxSize)
}

// dateFilter reads DateSent, DateSent< and DateSent> (inclusive bounds).
// twilio-go sends RFC 3339 times; Twilio's docs show YYYY-MM-DD dates.
func dateFilter(q url.Values) (func(time.Time) bool, error) {
	type bound struct {
		lo, hi time.Time // lo <= t < hi; zero: open
	}
	var bs []bound
	for _, key := range []string{"DateSent", "DateSent<", "DateSent>"} {
		v := q.Get(key)
		if v == "" {
			continue
		}
		var lo, hi time.Time
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			lo, hi = t, t.Add(time.Second)
		} else if d, err := time.Parse(time.DateOnly, v); err == nil {
			lo, hi = d, d.AddDate(0, 0, 1)
		} else {
			return nil, fmt.Errorf("invalid %s: %q", key, v)
		}
		switch key {
		case "DateSent":
			bs = append(bs, bound{lo: lo, hi: hi})
		case "DateSent<":
			bs = append(bs, bound{hi: hi})
		case "DateSent>":
			bs = append(bs, bound{lo: lo})
		}
	}
	return func(t time.Time) bool {
		for _, b := range bs {
			if !b.lo.IsZero() && t.Before(b.lo) || !b.hi.IsZero() && !t.Before(b.hi) {
				return false
			}
		}
		return true
	}, nil
}

// writePage answers one page of items under key, with Twilio's paging
// fields: Page and PageSize (default 50, at most maxSize) select it, and
// next_page_uri repeats the request's filters for the next one.
func writePage(w http.ResponseWriter, r *http.Request, key string, items []any, maxSize int) {
	q := r.URL.Query()
	size, page := 50, 0
	if v := q.Get("PageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, 20001, "Invalid PageSize")
			return
		}
		size = n
	}
	size = min(size, maxSize, 1000)
	if v := q.Get("Page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, 20001, "Invalid Page")
			return
		}
		page = n
	}
	start := min(page*size, len(items))
	end := min(start+size, len(items))

	pageURI := func(p int) string {
		v := url.Values{}
		for k, vs := range q {
			if k != "Page" && k != "PageToken" && k != "PageSize" {
				v[k] = vs
			}
		}
		v.Set("PageSize", strconv.Itoa(size))
		v.Set("Page", strconv.Itoa(p))
		if p > 0 {
			v.Set("PageToken", "PA"+strconv.Itoa(p*size))
		}
		return r.URL.Path + "?" + v.Encode()
	}
	var next, prev any
	if end < len(items) {
		next = pageURI(page + 1)
	}
	if page > 0 {
		prev = pageURI(page - 1)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		key:                 items[start:end],
		"start":             start,
		"end":               max(end-1, start),
		"page":              page,
		"page_size":         size,
		"first_page_uri":    pageURI(0),
		"next_page_uri":     next,
		"previous_page_uri": prev,
		"uri":               r.URL.RequestURI(),
	})
}
