package bench

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/skirmishgg/skirmish/bench/baseline"
	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/child"
)

// The integration tests run the real server, built once here. Child
// processes (extra shards, the baseline server) re-execute this test
// binary, so TestMain hands them over first.

var (
	serverBin      string
	serverBuildErr error
)

func TestMain(m *testing.M) {
	if handled, code := child.RunHidden(botnet.ShardRole, baseline.ProcessRole); handled {
		os.Exit(code)
	}
	flag.Parse()
	var dir string
	if !testing.Short() {
		var err error
		dir, err = os.MkdirTemp("", "skirmish-bench-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench tests: temp dir:", err)
			os.Exit(1)
		}
		serverBin = filepath.Join(dir, "skirmish")
		cmd := exec.Command("go", "build", "-o", serverBin, "./server/cmd/skirmish")
		cmd.Dir = ".." // the module root
		if out, err := cmd.CombinedOutput(); err != nil {
			serverBuildErr = fmt.Errorf("go build ./server/cmd/skirmish: %w\n%s", err, out)
		}
	}
	code := m.Run()
	if dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}
