package pagerduty_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/guardsim/guardsim/engine"
	"github.com/guardsim/guardsim/pagerduty"
)

// The Events API v2 client against the validating in-process mock: a
// regression triggers an incident, the rollback resolves it (same dedup
// key). Real use reads the routing key from PAGERDUTY_ROUTING_KEY or a
// file (pagerduty.LoadRoutingKey), never from a flag.
func ExampleClient() {
	mock := pagerduty.NewMock(pagerduty.MockOptions{})
	srv := httptest.NewServer(mock)
	defer srv.Close()

	c, err := pagerduty.NewClient(pagerduty.Config{BaseURL: srv.URL, RoutingKey: "0123456789abcdef0123456789abcdef", Seed: 1})
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	regression := engine.Alert{
		Kind: engine.AlertRegression, Time: at, ProjectKey: "shop", EnvironmentKey: "production", FlagKey: "checkout",
		Metric: "latency", Summary: "Regression detected for measured rollout on flag checkout", Step: 2, Percent: 5,
	}
	reverted := regression
	reverted.Kind, reverted.Reason, reverted.Time = engine.AlertReverted, engine.ReasonRegression, at.Add(time.Second)
	for _, a := range []engine.Alert{regression, reverted} {
		if err := c.Notify(context.Background(), a); err != nil {
			panic(err)
		}
	}
	for _, inc := range mock.Incidents() {
		fmt.Printf("%s: %s, %d trigger(s), %q\n", inc.DedupKey, inc.Status, inc.Triggers, inc.Summary)
	}
	// Output:
	// shop:production:checkout: resolved, 1 trigger(s), "Regression detected for measured rollout on flag checkout"
}
