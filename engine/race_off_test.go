//go:build !race

package engine_test

// raceDetector: the tests run under the race detector.
const raceDetector = false
