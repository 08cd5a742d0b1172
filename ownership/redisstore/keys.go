package redisstore

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/intakehq/intake/ownership"
)

// Key layout, schema version 3 (ownership.SchemaVersion). Version 2 added
// the lease hashes and version 3 the session and throttle hashes (their
// keys are in sessions.go); neither changed anything else, so Open upgrades
// an older installation by rewriting {p}:schema (scripts/schema.lua); from
// then on an older build refuses to open it.
//
// Every key of one installation starts with "{p}:", where p is the prefix
// (URL parameter prefix=, default "intake"). The braces make p a Redis
// Cluster hash tag: only "p" is hashed, so all keys of an installation live
// in ONE hash slot and the multi-key Lua scripts run unchanged on Redis
// Cluster (no CROSSSLOT). The trade-off: one installation cannot spread over
// several shards. That is by design — ticket numbers are global and
// sequential, so every create touches the one counter anyway — and one
// shard handles far more writes per second than any helpdesk produces.
// Several installations (prefixes) do spread over the cluster.
//
// To use a cluster, open the store with cluster=true in the URL, naming
// any number of seed nodes (the host of the URL plus addr= parameters):
//
//	redis://[user:pass@]10.0.0.1:6379?cluster=true&addr=10.0.0.2:6379&addr=10.0.0.3:6379&prefix=acme
//
// The client then follows the cluster's slot map (MOVED/ASK redirects);
// without cluster=true it talks to the one node named, which answers MOVED
// for every slot it does not own.
//
//	{p}:schema              string  layout version ("3")
//	{p}:seq                 string  last ticket number handed out (INCR)
//	{p}:t:<n>               hash    ticket n: v (revision, Ticket.Rev; the
//	                                version up to layout 2, when every write
//	                                moved it), owner, status,
//	                                active ("1" when open or pending), lastop
//	                                (OpID of the last update), json (the
//	                                full ownership.Ticket as JSON)
//	{p}:t:<n>:idx           set     names of the index zsets ticket n is in,
//	                                so an update can move it out of old ones
//	{p}:ev:<n>              list    ticket n's events as JSON; seq = position
//	{p}:dedup:<key>         string  ticket id (T-<n>) recorded for a dedup key
//	{p}:op:<token>          string  ticket id; TTL opTTL. Written by every
//	                                create under a random per-call token, so
//	                                a create re-sent by go-redis after a lost
//	                                reply answers created = true again, and
//	                                by every update under its OpID (a random
//	                                "auto:<token>" when the caller gave none),
//	                                so an update re-sent after a lost reply is
//	                                a replay even if other updates of the
//	                                ticket came in between
//	{p}:idx:all             zset    every ticket; member = score = n
//	{p}:idx:status:<s>      zset    tickets by status
//	{p}:idx:owner:<rep>     zset    tickets by owner (none for owner "")
//	{p}:idx:channel:<c>     zset    tickets by channel (none for "")
//	{p}:idx:org:<o>         zset    tickets by org (none for "")
//	{p}:idx:contact:<key>   zset    tickets by ownership.Contact.Keys() key
//	{p}:load                hash    rep → active (open, pending) tickets owned
//	{p}:lastassigned        hash    rep → unix nanos of the last assignment
//	{p}:avail               hash    rep → availability
//	{p}:ob:item:<id>        hash    outbox item <id>: json (the immutable
//	                                part: id, channel, to, subject, body,
//	                                purpose, headers, created_at), ticket,
//	                                state, attempts, next_at, lease_until,
//	                                last_error, provider_ref, updated_at
//	                                (times RFC 3339 with nanoseconds, "" for
//	                                a zero time), due (next_at as unix ms),
//	                                fin (token of the last finish call, so a
//	                                re-sent finish is a replay)
//	{p}:ob:due              zset    pending items; member id, score next_at
//	                                (unix ms)
//	{p}:ob:lease            zset    sending items; score lease_until (unix ms)
//	{p}:ob:all              zset    every item; score created_at (unix ms)
//	{p}:ob:state:<state>    zset    items in state (pending, sending, sent,
//	                                dead); score created_at (unix ms)
//	{p}:obclaim:<token>     list    id, attempts pairs a claim call handed
//	                                out; TTL the lease. A claim re-sent by
//	                                go-redis after a lost reply answers with
//	                                them instead of claiming more
//	{p}:flag:<key>          string  a flag's value (SetFlag, SetFlagFenced;
//	                                absent for "")
//	{p}:lease:<name>        hash    lease <name> (ownership.Lease): holder
//	                                ("" once released), fence, until (unix
//	                                nanos + 2^63 as 20 digits, so that string
//	                                order is time order; see leaseTime). No
//	                                TTL and never deleted: expiry is decided
//	                                by the caller's clock, and the fence only
//	                                grows
//
// Due and lease times are compared at millisecond granularity: an item may
// be claimed, or its lease taken as ended, up to 1 ms early. Items with
// equal scores go in id order. Lease hashes compare to the nanosecond.
//
// The scripts declare in KEYS every key the Go side can name. The keys a
// script derives itself — the new ticket's t/ev/idx keys in create (its
// number comes from INCR inside the script), the old index zsets read
// from {p}:t:<n>:idx in update, and the item hashes of the ids a claim
// reads from {p}:ob:due and {p}:ob:lease — carry the same hash tag, hence
// the same slot, which Redis Cluster allows for undeclared keys.
//
// User-supplied parts (<rep>, <key>, …) may contain any byte: the hash tag
// is the first {…} of the name, which is always {p}.

// DefaultPrefix is the key prefix used when the URL has no prefix parameter.
const DefaultPrefix = "intake"

// opTTL bounds how long a create's retry token and an update's OpID are
// kept. go-redis retries within seconds; a day is generous.
const opTTL = 24 * 60 * 60 // seconds

var prefixRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// keys names the keys of one installation.
type keys struct {
	p string // "{prefix}:"
}

func newKeys(prefix string) (keys, error) {
	if !prefixRE.MatchString(prefix) {
		return keys{}, fmt.Errorf("redis key prefix %q: want 1-64 of A-Z a-z 0-9 _ . -", prefix)
	}
	return keys{p: "{" + prefix + "}:"}, nil
}

func (k keys) schema() string       { return k.p + "schema" }
func (k keys) seq() string          { return k.p + "seq" }
func (k keys) load() string         { return k.p + "load" }
func (k keys) lastAssigned() string { return k.p + "lastassigned" }
func (k keys) avail() string        { return k.p + "avail" }
func (k keys) idxAll() string       { return k.p + "idx:all" }

func (k keys) ticket(n int64) string    { return k.p + "t:" + strconv.FormatInt(n, 10) }
func (k keys) ticketIdx(n int64) string { return k.ticket(n) + ":idx" }
func (k keys) events(n int64) string    { return k.p + "ev:" + strconv.FormatInt(n, 10) }
func (k keys) dedup(key string) string  { return k.p + "dedup:" + key }
func (k keys) op(token string) string   { return k.p + "op:" + token }

func (k keys) obItem(id string) string     { return k.p + "ob:item:" + id }
func (k keys) obDue() string               { return k.p + "ob:due" }
func (k keys) obLease() string             { return k.p + "ob:lease" }
func (k keys) obAll() string               { return k.p + "ob:all" }
func (k keys) obState(state string) string { return k.p + "ob:state:" + state }
func (k keys) obClaim(token string) string { return k.p + "obclaim:" + token }
func (k keys) flag(key string) string      { return k.p + "flag:" + key }
func (k keys) lease(name string) string    { return k.p + "lease:" + name }

func (k keys) idxStatus(s ownership.Status) string { return k.p + "idx:status:" + string(s) }
func (k keys) idxOwner(rep string) string          { return k.p + "idx:owner:" + rep }
func (k keys) idxChannel(c string) string          { return k.p + "idx:channel:" + c }
func (k keys) idxOrg(o string) string              { return k.p + "idx:org:" + o }
func (k keys) idxContact(key string) string        { return k.p + "idx:contact:" + key }

// indexes returns the index zsets ticket t belongs in.
func (k keys) indexes(t ownership.Ticket) []string {
	out := []string{k.idxAll(), k.idxStatus(t.Status)}
	if t.Owner != "" {
		out = append(out, k.idxOwner(t.Owner))
	}
	if t.Channel != "" {
		out = append(out, k.idxChannel(t.Channel))
	}
	if t.Org != "" {
		out = append(out, k.idxOrg(t.Org))
	}
	for _, c := range t.Contact.Keys() {
		out = append(out, k.idxContact(c))
	}
	return out
}
