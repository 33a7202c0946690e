package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/guardsim/guardsim/engine/schedule"
)

func TestDecide(t *testing.T) {
	tests := []struct {
		name   string
		s      CheckState
		want   Decision
		reason Reason
	}{
		{"nothing", CheckState{}, DecisionContinue, ReasonNone},
		{"SRM wins over regression", CheckState{SRMMismatch: true, SRMRollback: true, Regressed: true, AutoRollback: true}, DecisionRollback, ReasonSRM},
		{"SRM reported only", CheckState{SRMMismatch: true, StepEnded: true}, DecisionAdvance, ReasonNone},
		{"regression rolls back", CheckState{Regressed: true, AutoRollback: true, StepEnded: true}, DecisionRollback, ReasonRegression},
		{"regression halts without auto-rollback", CheckState{Regressed: true}, DecisionHalt, ReasonRegression},
		{"mid-step short is fine", CheckState{Short: true}, DecisionContinue, ReasonNone},
		{"last step passes", CheckState{StepEnded: true, LastStep: true}, DecisionComplete, ReasonNone},
		{"step passes", CheckState{StepEnded: true}, DecisionAdvance, ReasonNone},
		{"short: extend once", CheckState{StepEnded: true, Short: true}, DecisionExtend, ReasonNone},
		{"short after extension: hold", CheckState{StepEnded: true, Short: true, Extended: true, Hold: true}, DecisionHold, ReasonNone},
		{"short after extension: roll back", CheckState{StepEnded: true, Short: true, Extended: true}, DecisionRollback, ReasonInsufficientSample},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, r := Decide(tc.s)
			assert.Equal(t, tc.want, d)
			assert.Equal(t, tc.reason, r)
		})
	}
	assert.Equal(t, StatusRolledBack, DecisionRollback.Status())
	assert.Equal(t, StatusCompleted, DecisionComplete.Status())
	assert.Equal(t, StatusHalted, DecisionHalt.Status())
	assert.Equal(t, StatusRunning, DecisionExtend.Status())
}

func TestExtensionLength(t *testing.T) {
	p := Policy{Steps: []schedule.Step{{Percent: 1, Duration: 5 * time.Hour}, {Percent: 5, Duration: 7 * time.Hour}}}
	assert.Equal(t, 7*time.Hour, p.ExtensionLength(1), "default: the step's own duration")
	assert.Equal(t, 24*time.Hour, p.MaxDuration(), "5h+5h + 7h+7h")
	p.Extension = 2 * time.Hour
	assert.Equal(t, 2*time.Hour, p.ExtensionLength(1))
	assert.Equal(t, 16*time.Hour, p.MaxDuration(), "5h+2h + 7h+2h")
}
