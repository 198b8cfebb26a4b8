//go:build race

package benchtest

// raceEnabled: the tests run with the race detector, and so does the
// server they build.
const raceEnabled = true
