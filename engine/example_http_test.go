package engine_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/guardsim/guardsim/engine"
)

// wireEvent is an event as a service receives it over HTTP.
type wireEvent struct {
	Time      time.Time `json:"time"`
	Kind      string    `json:"kind"` // "exposure" or "metric"
	Context   string    `json:"context"`
	Variation string    `json:"variation,omitempty"` // exposures: original, new or outside
	Metric    int32     `json:"metric,omitempty"`
	Value     float64   `json:"value,omitempty"`
}

type wireDecision struct {
	Time     time.Time       `json:"time"`
	Step     int             `json:"step"`
	Decision engine.Decision `json:"decision"`
	Reason   engine.Reason   `json:"reason,omitempty"`
	Note     string          `json:"note"`
}

// rolloutService embeds one rollout in an HTTP service: POST /events
// takes a JSON array of events, POST /tick?time=RFC3339 runs the checks
// due with no events, GET /decisions lists the decisions so far. The
// engine is not safe for concurrent use: a mutex serialises requests.
type rolloutService struct {
	mu        sync.Mutex
	r         *engine.Rollout
	decisions []wireDecision
}

func newRolloutService(p engine.Policy, start time.Time) (*rolloutService, error) {
	s := &rolloutService{}
	r, err := engine.NewRollout(p, engine.Options{
		Start:   start,
		Reorder: time.Minute, // clients' clocks and batches are a little out of order
		OnDecision: func(c engine.Check) {
			if c.Decision != engine.DecisionContinue {
				s.decisions = append(s.decisions, wireDecision{c.Time, c.Step, c.Decision, c.Reason, c.Note})
			}
		},
	})
	s.r = r
	return s, err
}

func (s *rolloutService) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case req.Method == http.MethodPost && req.URL.Path == "/events":
		var in []wireEvent
		if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
			http.Error(w, "events: "+err.Error(), http.StatusBadRequest)
			return
		}
		for i, we := range in {
			ev := engine.Event{Time: we.Time.UnixNano(), ContextKey: we.Context, Metric: we.Metric, Value: we.Value}
			switch we.Kind {
			case "exposure":
				ev.Kind = engine.KindExposure
				v, err := engine.ParseVariation(we.Variation)
				if err != nil {
					http.Error(w, fmt.Sprintf("event %d: %v", i+1, err), http.StatusBadRequest)
					return
				}
				ev.Variation = v
			case "metric":
				ev.Kind = engine.KindMetric
			default:
				http.Error(w, fmt.Sprintf("event %d: unknown kind %q", i+1, we.Kind), http.StatusBadRequest)
				return
			}
			if err := s.r.Observe(req.Context(), &ev); err != nil {
				http.Error(w, fmt.Sprintf("event %d: %v", i+1, err), http.StatusBadRequest)
				return
			}
		}
		w.WriteHeader(http.StatusNoContent)
	case req.Method == http.MethodPost && req.URL.Path == "/tick":
		t, err := time.Parse(time.RFC3339, req.URL.Query().Get("time"))
		if err == nil {
			_, err = s.r.Tick(req.Context(), t)
		}
		if err != nil {
			http.Error(w, "tick: "+err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case req.Method == http.MethodGet && req.URL.Path == "/decisions":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"status": s.r.Outcome().Status, "decisions": s.decisions})
	default:
		http.NotFound(w, req)
	}
}

// The engine embedded in an HTTP service: clients post events as JSON,
// a timer ticks the clock, and anyone can ask for the decisions.
func Example_httpService() {
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	svc, err := newRolloutService(examplePolicy(), start)
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(svc)
	defer srv.Close()

	post := func(path string, body any) {
		b, _ := json.Marshal(body)
		resp, err := http.Post(srv.URL+path, "application/json", bytes.NewReader(b))
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			msg, _ := io.ReadAll(resp.Body)
			fmt.Printf("%s: %d %s", path, resp.StatusCode, msg)
		}
	}
	for h := 0; h < 7; h++ {
		var batch []wireEvent
		for _, ev := range exampleEvents(start, time.Duration(h)*time.Hour+time.Minute, 30, h >= 5) {
			we := wireEvent{Time: time.Unix(0, ev.Time).UTC(), Context: ev.ContextKey, Kind: ev.Kind.String()}
			if ev.Kind == engine.KindExposure {
				we.Variation = ev.Variation.String()
			} else {
				we.Metric, we.Value = ev.Metric, ev.Value
			}
			batch = append(batch, we)
		}
		post("/events", batch)
	}
	post("/events", []wireEvent{{Time: start, Kind: "click", Context: "x"}})
	post("/tick", nil) // no time given
	if _, err := http.Post(srv.URL+"/tick?time="+start.Add(7*time.Hour+time.Minute).Format(time.RFC3339), "", nil); err != nil {
		panic(err)
	}

	resp, err := http.Get(srv.URL + "/decisions")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var out struct {
		Status    engine.Status  `json:"status"`
		Decisions []wireDecision `json:"decisions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		panic(err)
	}
	for _, d := range out.Decisions {
		fmt.Printf("%s step %d %s\n", d.Time.Format("15:04"), d.Step, strings.TrimSpace(string(d.Decision)+" "+string(d.Reason)))
	}
	fmt.Println("status:", out.Status)
	// Output:
	// /events: 400 event 1: unknown kind "click"
	// /tick: 400 tick: parsing time "" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "2006"
	// 09:00 step 1 start
	// 13:00 step 1 advance
	// 16:00 step 2 rollback regression
	// status: rolled_back
}
