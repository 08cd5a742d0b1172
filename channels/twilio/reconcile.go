package twilio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/intakehq/intake/channels"
	twilioapi "github.com/twilio/twilio-go"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// reconcilePageSize is how many messages one list request asks for:
// Twilio's cap, so a long outage takes few requests. Reconcile follows
// next_page_uri to the end of the window, however many pages it holds.
const reconcilePageSize = 1000

// twilioAPIBase is the host of the media links Twilio puts in webhooks;
// reconciled attachments link to the same place, whatever api_url says.
const twilioAPIBase = "https://api.twilio.com"

// Reconcile takes in the inbound texts Twilio holds for our number that
// the webhook may have missed (an outage longer than Twilio's retries):
// it lists, through the REST API, the messages sent to the configured
// number since since (inclusive, to the second; every page of them, so a long
// outage is caught up in one sweep), and hands each inbound one to the sink as the SMS webhook would
// have: same Kind, Event (STOP and START words included), ExternalID,
// From, To, Text and, for MMS, Attachments (read with one more request per
// MMS). So the sink's dedup by Message.DedupKey recognises what the webhook
// already delivered. ReceivedAt is when Twilio first tried the webhook
// (date_sent); Meta carries what the REST API gives plus source=reconcile.
// Outbound messages are ignored.
//
// It returns how many messages were new to the sink (TicketRef.Duplicate
// false). A failing message (its media list, its conversion or the sink)
// does not stop the others: every failure is joined into the error, and a
// message whose media Twilio is still receiving is reported too, so the
// caller sweeps that window again. A failed listing, or ctx ending, stops
// the sweep. Requests use the channel's credentials and api_url, never the
// TWILIO_* environment, and end when ctx does.
func (c *Channel) Reconcile(ctx context.Context, since time.Time) (int, error) {
	n, err := c.reconcile(ctx, since)
	if ctx.Err() == nil {
		c.sweeps.Record(err, c.cfg.Now()) // for Health; a sweep cut short by shutdown says nothing
	}
	return n, err
}

func (c *Channel) reconcile(ctx context.Context, since time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	rt := &attempt{ctx: ctx, base: http.DefaultTransport, apiURL: c.cfg.APIURL}
	defer rt.release()
	api := newRestClient(c.cfg, rt)

	params := (&openapi.ListMessageParams{}).
		SetTo(c.cfg.Number).
		SetDateSentAfter(since.UTC()).
		SetPageSize(reconcilePageSize)
	var (
		errs                   []error
		fresh, inbound, listed int
		token, page            string
	)
	for {
		resp, err := api.Api.PageMessage(params, token, page)
		if err != nil {
			err = fmt.Errorf("twilio: reconcile: list messages (after %d): %w", listed, err)
			if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
				err = errors.Join(ctxErr, err)
			}
			c.logger.Warn("twilio reconcile failed", "since", since, "listed", listed, "new", fresh, "err", err)
			return fresh, errors.Join(append(errs, err)...)
		}
		listed += len(resp.Messages)
		for _, msg := range resp.Messages {
			if err := ctx.Err(); err != nil {
				return fresh, errors.Join(append(errs, err)...)
			}
			if str(msg.Direction) != "inbound" {
				continue
			}
			inbound++
			isNew, err := c.reconcileOne(ctx, api, msg)
			if err != nil {
				errs = append(errs, err)
			} else if isNew {
				fresh++
			}
		}
		next := str(resp.NextPageUri)
		if next == "" {
			break
		}
		// Twilio's next page is named by the PageToken and Page in its URI;
		// one naming neither could only repeat this page forever.
		if token, page, err = nextPage(next); err != nil || len(resp.Messages) == 0 {
			if err == nil {
				err = fmt.Errorf("empty page %q before the end", page)
			}
			errs = append(errs, fmt.Errorf("twilio: reconcile: list messages (after %d): next page: %w", listed, err))
			break
		}
	}
	err := errors.Join(errs...)
	c.logger.Info("twilio reconciled", "since", since, "listed", listed, "inbound", inbound, "new", fresh,
		"failed", len(errs), "err", err)
	return fresh, err
}

// reconcileOne hands the inbound msg to the sink and says whether it was
// new to it.
func (c *Channel) reconcileOne(ctx context.Context, api *twilioapi.RestClient, msg openapi.ApiV2010Message) (bool, error) {
	sid := str(msg.Sid)
	if str(msg.Status) == "receiving" {
		return false, fmt.Errorf("twilio: reconcile %s: media still being received; not taken in yet", sid)
	}
	m, err := c.reconciledSMS(api, msg)
	if err != nil {
		return false, fmt.Errorf("twilio: reconcile %s: %w", sid, err)
	}
	actx, cancel := context.WithTimeout(ctx, acceptTimeout)
	ref, err := c.sink.Accept(actx, m)
	cancel()
	if err != nil {
		c.logger.Error("twilio reconciled message not stored", "dedup_key", m.DedupKey(), "err", err)
		return false, fmt.Errorf("twilio: reconcile %s: store: %w", sid, err)
	}
	if ref.Duplicate {
		return false, nil
	}
	c.logger.Info("twilio message taken in by reconcile", "dedup_key", m.DedupKey(), "ticket", ref.ID)
	return true, nil
}

// nextPage reads the PageToken and Page of a next_page_uri.
func nextPage(uri string) (token, page string, err error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", "", err
	}
	q := u.Query()
	token, page = q.Get("PageToken"), q.Get("Page")
	if token == "" && page == "" {
		return "", "", fmt.Errorf("%q names no page", uri)
	}
	return token, page, nil
}

// reconciledSMS is the message the SMS webhook builds for msg: the REST
// resource is turned into the webhook's form and read by parseSMS.
func (c *Channel) reconciledSMS(api *twilioapi.RestClient, msg openapi.ApiV2010Message) (channels.Message, error) {
	form := url.Values{}
	set := func(field string, v *string) {
		if v != nil && *v != "" {
			form.Set(field, *v)
		}
	}
	set("MessageSid", msg.Sid)
	set("AccountSid", msg.AccountSid)
	set("MessagingServiceSid", msg.MessagingServiceSid)
	set("From", msg.From)
	set("To", msg.To)
	set("Body", msg.Body)
	set("NumSegments", msg.NumSegments)
	set("NumMedia", msg.NumMedia)
	set("SmsStatus", msg.Status)

	sid := str(msg.Sid)
	if n, _ := strconv.Atoi(str(msg.NumMedia)); n > 0 && sidPattern.MatchString(sid) {
		list, err := api.Api.ListMedia(sid, (&openapi.ListMediaParams{}).SetLimit(maxMedia))
		if err != nil {
			return channels.Message{}, fmt.Errorf("list media: %w", err)
		}
		for i, md := range list {
			form.Set("MediaUrl"+strconv.Itoa(i), mediaURL(c.cfg.AccountSID, sid, md))
			form.Set("MediaContentType"+strconv.Itoa(i), str(md.ContentType))
		}
	}

	m, err := parseSMS(form, nil)
	if err != nil {
		return channels.Message{}, err
	}
	m.ReceivedAt = c.cfg.Now()
	for _, d := range []*string{msg.DateSent, msg.DateCreated} {
		if t, err := time.Parse(time.RFC1123Z, str(d)); err == nil {
			m.ReceivedAt = t.UTC()
			break
		}
	}
	m.Meta["source"] = "reconcile"
	return m, nil
}

// mediaURL is the link the webhook gives for md: its resource URI on
// api.twilio.com without the .json suffix.
func mediaURL(accountSID, messageSID string, md openapi.ApiV2010Media) string {
	if uri := str(md.Uri); strings.HasPrefix(uri, "/") {
		return twilioAPIBase + strings.TrimSuffix(uri, ".json")
	}
	if acct := str(md.AccountSid); acct != "" {
		accountSID = acct
	}
	return twilioAPIBase + "/2010-04-01/Accounts/" + accountSID + "/Messages/" + messageSID + "/Media/" + str(md.Sid)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
