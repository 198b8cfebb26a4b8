package benchtest

import (
	"debug/buildinfo"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

// TestServerBuiltWithTheTestsRaceDetector: under go test -race the
// server the integration tests run has the race detector too, so that a
// race in the server fails them (it exits with status 66).
func TestServerBuiltWithTheTestsRaceDetector(t *testing.T) {
	info, err := buildinfo.ReadFile(Path(t))
	if err != nil {
		t.Fatal(err)
	}
	race := false
	for _, s := range info.Settings {
		race = race || s.Key == "-race" && s.Value == "true"
	}
	if race != raceEnabled {
		t.Fatalf("server built with -race=%v, tests run with -race=%v", race, raceEnabled)
	}
}
