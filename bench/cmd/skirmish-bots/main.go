// Command skirmish-bots is the load generator of Skirmish: thousands of
// cheap bot connections per process speaking the real protocol over real
// sockets. See 'skirmish-bots -h' and bench/README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/skirmishgg/skirmish/bench/baseline"
	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/child"
)

func main() {
	// Child processes (extra bot shards, the baseline server) re-execute
	// this binary with a hidden first argument.
	if handled, code := child.RunHidden(botnet.ShardRole, baseline.ProcessRole); handled {
		os.Exit(code)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
