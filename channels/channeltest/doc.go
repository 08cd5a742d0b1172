// Package channeltest is the contract every channel adapter keeps toward
// the ledger, written once so each adapter's tests check the same things:
// a request is verified before anything reaches the sink; a sink error is
// a 5xx so the provider retries; a redelivery carries the same DedupKey;
// no secret appears in an error or a log line.
//
// Recorder is a Sink that records (and can fail, or dedupe as the ledger
// does). The Assert helpers take a Witness, which a Recorder is and an
// adapter's own recording fake (Slack's Desk) can be. The package imports
// only channels and the standard library, plus testify, so it can sit in
// any adapter's tests.
package channeltest
