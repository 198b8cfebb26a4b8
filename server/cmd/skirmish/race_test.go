//go:build race

package main

// raceEnabled: the test binary runs with the race detector, so the server
// binary it builds does too.
const raceEnabled = true
