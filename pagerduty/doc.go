// Package pagerduty sends guarded-rollout alerts to the PagerDuty Events API
// (v2, and the legacy v1 "generic" endpoint) and provides a validating
// in-process mock of that API for tests, demos and load runs.
//
// The Client implements engine.Notifier: a regression alert becomes a
// "trigger" and a revert alert the matching "resolve", both carrying the
// alert's dedup key (projKey:envKey:flagKey), following LaunchDarkly's
// PagerDuty-for-guarded-rollouts templates. The client runs its own retry
// loop (capped exponential backoff with full jitter) on 429, on v1's 403
// rate limit, on 5xx and on network errors, rebuilds the request body on
// every attempt, enforces PagerDuty's field limits before sending, and keeps
// a record of every delivery so callers can report undelivered alerts.
//
// The routing (integration) key is a secret: it is read from the
// PAGERDUTY_ROUTING_KEY environment variable or a file, never from a flag
// value, and it never appears in an error, a log line or a mock record; only
// its Fingerprint does.
//
// Mock is an http.Handler that validates events like the real API, answers
// with PagerDuty's status codes and bodies, tracks incident state per
// (routing key, dedup key) with PagerDuty's drop semantics, records every
// event it receives (GET /events, JSONL) and can inject faults: rate limits,
// 5xx, delays and dropped connections. StartMock serves it on a loopback
// address.
package pagerduty
