package scenario

import (
	"testing"

	"github.com/skirmishgg/skirmish/bench/internal/benchtest"
	"github.com/skirmishgg/skirmish/bench/target"
)

// The integration tests run the real server, built once by TestMain.
// They check that a scenario works end to end and that its figures are
// there and coherent, never how fast anything is. With -short they are
// skipped, saying so; a server that does not build fails them.
func TestMain(m *testing.M) { benchtest.Main(m) }

func testOptions(s *target.Server) Options {
	return Options{URL: s.URL, AdminURL: s.Admin, ServerPID: s.PID, Warmup: benchtest.Warmup, Window: benchtest.Window,
		ConnectTimeout: benchtest.ConnectTimeout, Workers: 2}
}
