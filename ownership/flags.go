package ownership

import "strings"

// The flag key space. Store.SetFlag and Store.Flag keep small values
// under string keys; these are all the families written, by whom, and
// what their values mean. A new family gets its line here and, when the
// ledger writes it, its key-building helper below.
//
//	optout:sms:<E.164>              "1" while the number has texted STOP ("" after START).
//	                                Written by acceptOptOut (optout.go); read by ref (ingest.go),
//	                                replyRoute (reply.go) and the outbox worker (ownership/outbox,
//	                                through OptedOut), which never texts an opted-out number
//	                                anything but rep notices.
//	ref:<provider message id>       "<outbox id> <ticket id>": which outbox item a provider's
//	                                message is, so its delivery status callback finds its ticket.
//	                                Written by RecordRef (delivery.go) when the outbox worker's
//	                                send succeeds; read by
//	                                acceptStatus (delivery.go).
//	autoack:<channel>:<address>     space-separated Unix seconds of the auto-acknowledgements sent
//	                                to that address within autoAckWindow (mayAutoAck, notify.go).
//	slack:post:<ticket id>          "<channel> <ts>" of the ticket's triage post; and
//	slack:thread:<channel>:<ts>     the ticket id whose triage post that is (channels/slack/posts.go).
//	reconcile:<channel>             RFC 3339 time the channel's last reconcile pass started
//	                                (channels/reconcile.go, ReconcileSchedule).
//	email:checkpoint:<user>:<box>   "<UIDVALIDITY>:<UID>" the mailbox reader got to
//	                                (channels/email/fetch.go), written fenced through a
//	                                LeaseKeeper (SetFlagFenced).

// optOutFlag is the opt-out flag of phone.
func optOutFlag(phone string) string { return "optout:sms:" + phone }

// refFlag maps a provider's message id to "<outbox id> <ticket id>", so a
// delivery status callback finds its ticket.
func refFlag(providerRef string) string { return "ref:" + providerRef }

// autoAckFlag counts the auto-acknowledgements to one address on one
// channel (addresses compare case-insensitively).
func autoAckFlag(channel, to string) string { return "autoack:" + channel + ":" + strings.ToLower(to) }
