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

// ReconcileLimit is the most messages one Reconcile reads. Twilio lists
// the newest first, so past it the oldest messages of the window are the
// ones left unread.
const ReconcileLimit = 1000

// ErrReconcileLimit is joined into Reconcile's error when the window held
// ReconcileLimit messages or more, so older ones may have been left unread.
var ErrReconcileLimit = errors.New("twilio: reconcile: message limit reached")

// twilioAPIBase is the host of the media links Twilio puts in webhooks;
// reconciled attachments link to the same place, whatever api_url says.
const twilioAPIBase = "https://api.twilio.com"

// Reconcile takes in the inbound texts Twilio holds for our number that
// the webhook may have missed (an outage longer than Twilio's retries):
// it lists, through the REST API, the messages sent to the configured
// number since since (inclusive, to the second; at most ReconcileLimit of
// them), and hands each inbound one to the sink as the SMS webhook would
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
		SetLimit(ReconcileLimit)
	list, err := api.Api.ListMessage(params)
	if err != nil {
		err = fmt.Errorf("twilio: reconcile: list messages: %w", err)
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = errors.Join(ctxErr, err)
		}
		c.logger.Warn("twilio reconcile failed", "since", since, "err", err)
		return 0, err
	}

	var (
		errs           []error
		fresh, inbound int
	)
	for _, msg := range list {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		if str(msg.Direction) != "inbound" {
			continue
		}
		inbound++
		sid := str(msg.Sid)
		if str(msg.Status) == "receiving" {
			errs = append(errs, fmt.Errorf("twilio: reconcile %s: media still being received; not taken in yet", sid))
			continue
		}
		m, err := c.reconciledSMS(api, msg)
		if err != nil {
			errs = append(errs, fmt.Errorf("twilio: reconcile %s: %w", sid, err))
			continue
		}
		actx, cancel := context.WithTimeout(ctx, acceptTimeout)
		ref, err := c.sink.Accept(actx, m)
		cancel()
		if err != nil {
			c.logger.Error("twilio reconciled message not stored", "dedup_key", m.DedupKey(), "err", err)
			errs = append(errs, fmt.Errorf("twilio: reconcile %s: store: %w", sid, err))
			continue
		}
		if !ref.Duplicate {
			fresh++
			c.logger.Info("twilio message taken in by reconcile", "dedup_key", m.DedupKey(), "ticket", ref.ID)
		}
	}
	if len(list) >= ReconcileLimit {
		errs = append(errs, fmt.Errorf("%w: read the newest %d messages to %s since %s only",
			ErrReconcileLimit, len(list), c.cfg.Number, since.UTC().Format(time.RFC3339)))
	}
	err = errors.Join(errs...)
	c.logger.Info("twilio reconciled", "since", since, "listed", len(list), "inbound", inbound, "new", fresh,
		"failed", len(errs), "err", err)
	return fresh, err
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
