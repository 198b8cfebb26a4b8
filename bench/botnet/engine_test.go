package botnet

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/skirmishgg/skirmish/bench/baseline"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/reactor"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/server/wsframe"
)

// startTestBaseline runs a baseline server in-process for engine tests.
func startTestBaseline(t *testing.T, players int) *baseline.Server {
	t.Helper()
	s, err := baseline.Start(baseline.Config{Players: players, MaxConns: 256})
	if err != nil {
		t.Fatalf("start baseline: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func runTestEngine(t *testing.T, spec ShardSpec, window time.Duration) *measure.Stats {
	t.Helper()
	e, err := newEngine(spec)
	if err != nil {
		t.Fatalf("new engine: %v", err)
	}
	defer func() {
		if err := e.Close(); err != nil {
			t.Errorf("close engine: %v", err)
		}
	}()
	e.Start()
	select {
	case <-e.Ready():
	case <-time.After(10 * time.Second):
		t.Fatalf("bots not ready: %+v", e.Progress())
	}
	start := time.Now().Add(300 * time.Millisecond)
	e.SetWindow(start, start.Add(window))
	time.Sleep(time.Until(start.Add(window)) + 50*time.Millisecond)
	return e.Collect()
}

func TestEnginePlayAgainstBaseline(t *testing.T) {
	s := startTestBaseline(t, 5)
	st := runTestEngine(t, ShardSpec{URL: s.URL(), Workload: WorkPlay, Count: 10, PlayersPerRoom: 5}, time.Second)
	if st.Connected != 10 || st.Joined != 10 || st.Failed != 0 {
		t.Fatalf("connected %d joined %d failed %d (%v)", st.Connected, st.Joined, st.Failed, st.FailReasons)
	}
	if st.Clients != 10 {
		t.Errorf("clients in window = %d, want 10", st.Clients)
	}
	if st.Snapshots == 0 || st.Gap.Count() == 0 || st.RTT.Count() == 0 || st.InputsSent == 0 {
		t.Errorf("nothing measured: snapshots %d gaps %d rtts %d inputs %d", st.Snapshots, st.Gap.Count(), st.RTT.Count(), st.InputsSent)
	}
	if st.ProtocolErrors != 0 {
		t.Errorf("protocol errors: %d", st.ProtocolErrors)
	}
	t.Logf("snapshots %d gap p50 %dus rtt p50 %dus size %v", st.Snapshots, st.Gap.Quantile(0.5), st.RTT.Quantile(0.5), st.SnapshotSize.Mean())
}

func TestEngineIdleAgainstBaseline(t *testing.T) {
	s := startTestBaseline(t, 5)
	st := runTestEngine(t, ShardSpec{URL: s.URL(), Workload: WorkIdle, Count: 50}, 200*time.Millisecond)
	if st.Connected != 50 || st.Failed != 0 || st.Clients != 50 || st.Joined != 0 {
		t.Fatalf("connected %d failed %d clients %d joined %d (%v)", st.Connected, st.Failed, st.Clients, st.Joined, st.FailReasons)
	}
	if st.Handshake.Count() != 50 || st.Connect.Count() != 50 {
		t.Fatalf("handshakes %d connects %d", st.Handshake.Count(), st.Connect.Count())
	}
	if st.Snapshots != 0 {
		t.Fatalf("idle bots got %d snapshots", st.Snapshots)
	}
}

func TestEngineLatencyDelaysInputs(t *testing.T) {
	s := startTestBaseline(t, 4)
	const lat = 60 * time.Millisecond
	st := runTestEngine(t, ShardSpec{URL: s.URL(), Workload: WorkPlay, Count: 4, PlayersPerRoom: 4, Latency: lat}, time.Second)
	if st.RTT.Count() == 0 {
		t.Fatal("no RTT measured")
	}
	// Every input waits the latency before the server can see it.
	if min := time.Duration(st.RTT.Min()) * time.Microsecond; min < lat {
		t.Fatalf("RTT min %v below the %v latency", min, lat)
	}
	if st.Join.Min() < lat.Microseconds() {
		t.Fatalf("join latency %dus below the %v latency", st.Join.Min(), lat)
	}
}

func TestEngineChurnAgainstBaseline(t *testing.T) {
	s := startTestBaseline(t, 5)
	spec := ShardSpec{URL: s.URL(), Workload: WorkChurn, Count: 20, ConnectRate: 40, Hold: 100 * time.Millisecond, Cycles: 2, PlayersPerRoom: 5}
	e, err := newEngine(spec)
	if err != nil {
		t.Fatal(err)
	}
	e.SetWindow(time.Now(), time.Now().Add(time.Minute))
	e.Start()
	select {
	case <-e.Ready():
	case <-time.After(10 * time.Second):
		t.Fatalf("churn not done: %+v", e.Progress())
	}
	st := e.Collect()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if st.Cycles != 40 || st.Leaves != 40 || st.CyclesFailed != 0 || st.Failed != 0 {
		t.Fatalf("cycles %d leaves %d failed cycles %d failed %d (%v)", st.Cycles, st.Leaves, st.CyclesFailed, st.Failed, st.FailReasons)
	}
	if p := e.Progress(); p.Open != 0 || p.OK != 20 {
		t.Fatalf("progress after churn: %+v", p)
	}
}

func TestRunSpreadsOverChildProcesses(t *testing.T) {
	bp, err := baseline.StartProcess(baseline.Config{Players: 10, MaxConns: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer bp.Close()
	res, err := Run(t.Context(), RunConfig{
		Label:      "test",
		Spec:       ShardSpec{URL: bp.URL, Workload: WorkPlay, Count: 20, PlayersPerRoom: 10},
		PerProcess: 8,
		Warmup:     200 * time.Millisecond,
		Window:     time.Second,
		ServerPID:  bp.PID,
	})
	if err != nil {
		t.Fatal(err)
	}
	st := res.Stats
	if res.Processes != 3 {
		t.Fatalf("%d processes for 20 bots at 8 per process", res.Processes)
	}
	if st.Bots != 20 || st.Joined != 20 || st.Clients != 20 || st.Failed != 0 {
		t.Fatalf("bots %d joined %d clients %d failed %d (%v)", st.Bots, st.Joined, st.Clients, st.Failed, st.FailReasons)
	}
	if st.Snapshots == 0 || st.RTT.Count() == 0 {
		t.Fatalf("children measured nothing: snapshots %d rtt %d", st.Snapshots, st.RTT.Count())
	}
	if !res.Server.Measured || res.Server.RSSAfter <= 0 {
		t.Fatalf("baseline process not sampled: %+v", res.Server)
	}
}

// TestIdleBotAnswersPing: a silent bot still answers WebSocket pings.
func TestIdleBotAnswersPing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan error, 1)
	go func() { // the test's fake server; ends with the test's listener
		c, err := ln.Accept()
		if err != nil {
			got <- err
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := ws.Upgrade(c); err != nil {
			got <- err
			return
		}
		if _, err := ws.ReadFrame(c); err != nil { // Hello
			got <- err
			return
		}
		hello, _ := reactor.AppendMessageFrame(nil, &skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_Hello{Hello: &skirmishv1.ServerHello{ProtocolVersion: 1}}}, nil)
		c.Write(hello)
		c.Write(wsframe.AppendFrame(nil, ws.OpPing, []byte("are you there"), nil))
		for {
			f, err := ws.ReadFrame(c)
			if err != nil {
				got <- err
				return
			}
			if f.Header.OpCode == ws.OpPong {
				if !f.Header.Masked {
					got <- fmt.Errorf("pong not masked")
					return
				}
				f = ws.UnmaskFrameInPlace(f)
				if string(f.Payload) != "are you there" {
					got <- fmt.Errorf("pong payload %q", f.Payload)
					return
				}
				got <- nil
				return
			}
		}
	}()
	e, err := newEngine(ShardSpec{URL: "ws://" + ln.Addr().String() + "/ws", Workload: WorkIdle, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	e.Start()
	defer e.Close()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no pong")
	}
}
