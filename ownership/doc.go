// Package ownership is the ticket ledger: tickets, their one owner, and the
// append-only timeline of what happened to them.
//
// The Service applies the rules (who may assign, transfer, accept, ack,
// change status) and asks the router for owners; a Store keeps the state and
// makes each change one atomic, version-checked write. Two Store
// implementations live below this package (sqlitestore, redisstore) and both
// pass the conformance suite in storetest.
//
// The invariant every file keeps: a ticket that is not closed has exactly
// one owner. Every change to a ticket goes through the one compare-and-set
// write path in write.go, under a per-ticket lock, with the outbound
// messages it causes queued in the same atomic write.
//
// # Where each concern lives
//
//	concern               file            what is there
//	--------------------  --------------  ----------------------------------------------------------
//	the model             ticket.go       Ticket, Status, Priority, Contact, Offer; Event, EventType
//	the store contract    store.go        Store, CreateRequest, UpdateRequest, Filter, Page, Lease
//	errors                errors.go       every sentinel, ConflictError, IsRefusal
//	construction          service.go      Options, NewService, Service, Actor, Policy; plain reads
//	the write path        write.go        change / changeWithOutbox (writeOpts), appendOnce
//	versions              version.go      Conflicts, bumpVersion: when a change moves Version
//	ingest                ingest.go       Accept: event switch, join or open, handles, ref
//	dedupe                dedupe.go       seen: a delivery seen before, a provider id reused
//	threading             thread.go       which ticket a message belongs to; who may join it
//	directory             directory.go    orgs and linked contacts
//	creating tickets      create.go       CreateTicket, the routing inputs, capacity races
//	opt-outs              optout.go       STOP / START (acceptOptOut), OptedOut
//	delivery outcomes     delivery.go     a provider's status callback (acceptStatus); the outbox
//	                                      worker's records: RecordRef, RecordSent, RecordDead, CountSend
//	notifications         notify.go       the customer's auto-ack (DefaultAckTemplate, per-channel
//	                                      templates, CheckAckTemplate), the owner's notice,
//	                                      repMessage, managerAlerts
//	the outbox            outbox.go       OutboxItem, Purpose, outbox states
//	                      outbox/         package outbox, the Worker: claim → channels.Replier →
//	                                      FinishOutbox → Ledger.RecordSent / RecordDead
//	the techs' board      board.go        each ticket's card (the triage post), its updates, thread
//	                                      lines and marks; boardKind, the channel it is on
//	flags                 flags.go        the flag key space (optout, ref, autoack, slack, ...)
//	actions               actions.go      Assign, Transfer, Accept/DeclineTransfer, Take, Ack,
//	                                      SetStatus, Note, LogTime; LapseOffers
//	replies               reply.go        Reply, replyRoute, RetryOutbox
//	roster                roster.go       Reps, SetAvailability, handOver, ReassignOrphans, reroute
//	escalation            escalate.go     Escalate: ack timeouts, reminders, SLA breach alerts
//	SLA clocks            sla.go          AckDue, ackOverdue, setSLADue, slaBreached, slaAtRisk
//	summaries             summary.go      Summary, Audit, each
//	visibility            visibility.go   what a tech may see (TechScope); changeAs
//	leases                lease.go        LeaseKeeper: one runner across replicas, fenced writes
//	sessions              session.go      dashboard sessions and sign-in failures (stored)
//	sweeps                sweep.go        Sweeper: offers, orphans and escalations on their cadences,
//	                                      escalation under the "sweep" lease; sweepTickets
//	metrics               metrics.go      the Prometheus counters
//	                      collector.go    Collector: the gauges (open, unowned, ...), read at scrape time
package ownership
