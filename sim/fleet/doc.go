// Package fleet backtests many past rollouts at once: each rollout's
// recorded events are replayed through the engine under the policy it was
// run with and under candidate policies, and the decisions are compared
// rollout by rollout and summed up over the fleet (rollbacks, missed
// labelled regressions, false rollbacks of labelled-good rollouts, time to
// detection gained, contexts exposed).
//
// A fleet is a directory with one subfolder per rollout, or a manifest
// (fleet.csv); see Discover. Replays run in parallel with bounded memory; a
// rollout that cannot be replayed is reported with its error and the others
// go on. Alerts are never sent: each replay records them in process.
package fleet
