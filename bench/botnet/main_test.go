package botnet

import (
	"os"
	"testing"

	"github.com/skirmishgg/skirmish/bench/baseline"
	"github.com/skirmishgg/skirmish/bench/child"
)

// Child processes (extra shards, the baseline server) re-execute this
// test binary, so TestMain hands them over first.
func TestMain(m *testing.M) {
	if handled, code := child.RunHidden(ShardRole, baseline.ProcessRole); handled {
		os.Exit(code)
	}
	os.Exit(m.Run())
}
