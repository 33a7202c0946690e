package plan

import (
	"time"

	"github.com/guardsim/guardsim/engine/schedule"
)

func schedStep(percent float64) schedule.Step {
	return schedule.Step{Percent: percent, Duration: 24 * time.Hour}
}
