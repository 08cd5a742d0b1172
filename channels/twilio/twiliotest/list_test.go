package twiliotest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	ours     = "+15550001111"
	customer = "+15557654321"
)

type listPage struct {
	Messages        []map[string]any `json:"messages"`
	MediaList       []map[string]any `json:"media_list"`
	NextPageURI     *string          `json:"next_page_uri"`
	PreviousPageURI *string          `json:"previous_page_uri"`
	FirstPageURI    string           `json:"first_page_uri"`
	Page            int              `json:"page"`
	PageSize        int              `json:"page_size"`
	Start           int              `json:"start"`
	End             int              `json:"end"`
	URI             string           `json:"uri"`
}

func get(t *testing.T, s *Server, pathAndQuery, user, pass string) (int, listPage, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL()+pathAndQuery, nil)
	require.NoError(t, err)
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var raw json.RawMessage
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&raw))
	var page listPage
	var obj map[string]any
	require.NoError(t, json.Unmarshal(raw, &page))
	require.NoError(t, json.Unmarshal(raw, &obj))
	return resp.StatusCode, page, obj
}

func sids(p listPage) []string {
	var out []string
	for _, m := range p.Messages {
		out = append(out, m["sid"].(string))
	}
	return out
}

func TestListMessages(t *testing.T) {
	s := NewServer()
	defer s.Close()
	t0 := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	s.AddInbound("SM1", customer, ours, "first", t0)
	s.AddInbound("SM2", customer, ours, "second", t0.Add(time.Minute))
	s.AddInbound("SM3", customer, "+15550002222", "elsewhere", t0.Add(time.Minute))
	s.AddInbound("SM4", customer, ours, "yesterday", t0.Add(-24*time.Hour))
	base := "/2010-04-01/Accounts/" + AccountSID + "/Messages.json"

	code, page, obj := get(t, s, base+"?"+url.Values{"To": {ours}}.Encode(), AccountSID, AuthToken)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, []string{"SM2", "SM1", "SM4"}, sids(page), "newest first")
	for _, k := range []string{"messages", "next_page_uri", "previous_page_uri", "first_page_uri", "page", "page_size", "start", "end", "uri"} {
		require.Contains(t, obj, k)
	}
	m := page.Messages[0]
	require.Equal(t, "inbound", m["direction"])
	require.Equal(t, "received", m["status"])
	require.Equal(t, customer, m["from"])
	require.Equal(t, ours, m["to"])
	require.Equal(t, "second", m["body"])
	require.Equal(t, "0", m["num_media"])
	require.Equal(t, "Wed, 04 Mar 2026 09:01:00 +0000", m["date_sent"])
	require.Nil(t, page.NextPageURI)

	// DateSent> as twilio-go sends it (RFC 3339) and as Twilio documents it
	// (a date); both inclusive.
	q := url.Values{"To": {ours}, "DateSent>": {t0.Format(time.RFC3339)}}
	_, page, _ = get(t, s, base+"?"+q.Encode(), AccountSID, AuthToken)
	require.Equal(t, []string{"SM2", "SM1"}, sids(page))
	q.Set("DateSent>", "2026-03-04")
	_, page, _ = get(t, s, base+"?"+q.Encode(), AccountSID, AuthToken)
	require.Equal(t, []string{"SM2", "SM1"}, sids(page))
	q.Set("DateSent>", "yesterday")
	code, _, _ = get(t, s, base+"?"+q.Encode(), AccountSID, AuthToken)
	require.Equal(t, http.StatusBadRequest, code)

	// Paging follows next_page_uri.
	s.SetMaxPageSize(2)
	_, page, _ = get(t, s, base+"?"+url.Values{"To": {ours}}.Encode(), AccountSID, AuthToken)
	require.Equal(t, []string{"SM2", "SM1"}, sids(page))
	require.NotNil(t, page.NextPageURI)
	_, page, _ = get(t, s, *page.NextPageURI, AccountSID, AuthToken)
	require.Equal(t, []string{"SM4"}, sids(page))
	require.Equal(t, 1, page.Page)
	require.Nil(t, page.NextPageURI)
	require.NotNil(t, page.PreviousPageURI)
	require.Len(t, s.ListQueries(), 6)
}

func TestListIncludesSentMessages(t *testing.T) {
	s := NewServer()
	defer s.Close()
	form := url.Values{"From": {ours}, "To": {customer}, "Body": {"hi"}}
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/2010-04-01/Accounts/"+AccountSID+"/Messages.json", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(AccountSID, AuthToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	_, page, _ := get(t, s, "/2010-04-01/Accounts/"+AccountSID+"/Messages.json?To=%2B15557654321", AccountSID, AuthToken)
	require.Len(t, page.Messages, 1)
	require.Equal(t, "outbound-api", page.Messages[0]["direction"])
	require.Equal(t, s.Messages()[0].SID, page.Messages[0]["sid"])
	_, page, _ = get(t, s, "/2010-04-01/Accounts/"+AccountSID+"/Messages.json?To=%2B15550001111", AccountSID, AuthToken)
	require.Empty(t, page.Messages)
}

func TestListAuthAndFailures(t *testing.T) {
	s := NewServer()
	defer s.Close()
	path := "/2010-04-01/Accounts/" + AccountSID + "/Messages.json"
	code, _, obj := get(t, s, path, AccountSID, "wrong")
	require.Equal(t, http.StatusUnauthorized, code)
	require.EqualValues(t, 20003, obj["code"])
	code, _, _ = get(t, s, "/2010-04-01/Accounts/ACother/Messages.json", AccountSID, AuthToken)
	require.Equal(t, http.StatusNotFound, code)

	s.FailNext(1, http.StatusInternalServerError, 20500, "")
	code, _, obj = get(t, s, path, AccountSID, AuthToken)
	require.Equal(t, http.StatusInternalServerError, code)
	require.EqualValues(t, 20500, obj["code"])
	code, _, _ = get(t, s, path, AccountSID, AuthToken)
	require.Equal(t, http.StatusOK, code)
}

func TestListMedia(t *testing.T) {
	s := NewServer()
	defer s.Close()
	s.AddInbound("MM1", customer, ours, "photo", time.Now())
	me := s.AddMedia("MM1", "image/jpeg")
	base := "/2010-04-01/Accounts/" + AccountSID + "/Messages/"

	code, page, _ := get(t, s, base+"MM1/Media.json", AccountSID, AuthToken)
	require.Equal(t, http.StatusOK, code)
	require.Len(t, page.MediaList, 1)
	require.Equal(t, me, page.MediaList[0]["sid"])
	require.Equal(t, "image/jpeg", page.MediaList[0]["content_type"])
	require.Equal(t, "MM1", page.MediaList[0]["parent_sid"])
	require.Equal(t, base+"MM1/Media/"+me+".json", page.MediaList[0]["uri"])

	_, page, _ = get(t, s, "/2010-04-01/Accounts/"+AccountSID+"/Messages.json", AccountSID, AuthToken)
	require.Equal(t, "1", page.Messages[0]["num_media"])

	code, _, _ = get(t, s, base+"MMnone/Media.json", AccountSID, AuthToken)
	require.Equal(t, http.StatusNotFound, code)
}
