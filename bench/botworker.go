package bench

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/gobwas/ws"
	"google.golang.org/protobuf/proto"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// botWorker is the bots' per-worker context: its own Stats (merged on
// Collect), its own encoder, and a reused message for full decodes. It is
// the frameSink of the bot being served.
type botWorker struct {
	e     *Engine
	stats Stats
	enc   encoder
	msg   skirmishv1.ServerMessage
	cols  wire.SnapshotColumns // reused by the bots that track snapshots
	cur   *Bot                 // bot being fed
	now   int64                // time of the read being parsed
}

func (bw *botWorker) onMessage(op ws.OpCode, p []byte) {
	b := bw.cur
	if b == nil || b.getState() == stClosed {
		return
	}
	switch op {
	case ws.OpBinary:
		bw.onServerMessage(b, p)
	case ws.OpText:
		bw.stats.ProtocolErrors++
		count(&bw.stats.FailReasons, "server sent a text frame")
	case ws.OpPing:
		bw.e.send(b, bw.enc.Control(ws.OpPong, p))
	case ws.OpPong:
	case ws.OpClose:
		code, reason := ws.ParseCloseFrameData(p)
		count(&bw.stats.CloseCodes, closeCodeName(code))
		reply := code
		if code.Empty() || code.IsProtocolReserved() {
			reply = ws.StatusNormalClosure
		}
		b.write(bw.enc.Close(reply, ""))
		b.close(bw, closeServer, fmt.Errorf("server closed the connection: %d %q", code, reason))
	}
}

func (bw *botWorker) onServerMessage(b *Bot, p []byte) {
	s, err := wire.ScanServerMessage(p)
	if err != nil {
		bw.stats.ProtocolErrors++
		return
	}
	now := bw.now
	switch s.Kind {
	case wire.FieldServerSnapshot:
		bw.onSnapshot(b, p, s, now)
	case wire.FieldServerHello:
		if !bw.decode(p) {
			return
		}
		if !b.state.CompareAndSwap(int32(stHandshake), int32(stLobby)) {
			bw.stats.ProtocolErrors++
			return
		}
		if b.res != nil && b.res.resuming {
			bw.stats.ResumeHandshake.Record((now - b.helloAt.Load()) / 1000)
		} else {
			bw.stats.Handshake.Record((now - b.helloAt.Load()) / 1000)
			bw.stats.Connected++
			bw.e.connected.Add(1)
		}
		bw.e.onLobby(bw, b, &bw.enc, now)
	case wire.FieldServerWelcome:
		if !bw.decode(p) {
			return
		}
		w := bw.msg.GetWelcome()
		if b.getState() != stJoining {
			bw.stats.ProtocolErrors++
			return
		}
		resumed := b.res != nil && b.res.resuming
		if resumed && !bw.onResumeWelcome(b, w, now) {
			b.close(bw, closeLocal, nil)
			return
		}
		if !b.state.CompareAndSwap(int32(stJoining), int32(stJoined)) {
			bw.stats.ProtocolErrors++
			return
		}
		if !resumed {
			bw.stats.Join.Record((now - b.joinAt.Load()) / 1000)
			bw.stats.Joined++
			bw.e.joined.Add(1)
			bw.e.noteWelcome(bw, now)
			if b.res != nil {
				b.res.player, b.res.token = w.GetPlayerId(), w.GetSessionToken()
				b.track.own = w.GetPlayerId()
				b.track.reset()
			}
		}
		b.expectRoster = true
		bw.stats.TickRate = max(bw.stats.TickRate, w.GetTickRate())
		b.lastSnap = 0
		if !resumed {
			b.lastAck = 0
		}
		b.joinedAt.Store(now)
		b.joins.Add(1)
		bw.e.onJoined(bw, b, now)
	case wire.FieldServerError:
		if !bw.decode(p) {
			return
		}
		code := bw.msg.GetError().GetCode()
		count(&bw.stats.ErrorCodes, code.String())
		switch b.getState() {
		case stHandshake:
			b.failWith(bw, "handshake refused: "+code.String())
		case stJoining:
			b.state.Store(int32(stLobby))
			if b.res != nil && b.res.resuming {
				bw.e.resumeFailed(bw, b, "resume refused: "+code.String())
				b.close(bw, closeLocal, nil)
				return
			}
			bw.stats.JoinFailed++
			b.fail(bw, "join refused: "+code.String())
		}
	case wire.FieldServerRoster:
		bw.stats.Rosters++
		bw.stats.RosterBytes += int64(len(p))
		// One Roster follows a bot's own Welcome; any other says that
		// the room's players changed.
		if b.expectRoster {
			b.expectRoster = false
		} else if bw.e.inWindow(now) {
			bw.stats.RosterChanges++
		}
	case wire.FieldServerRosterUpdate:
		// Every change of the room's players after the Roster.
		bw.stats.Rosters++
		bw.stats.RosterBytes += int64(len(p))
		if bw.e.inWindow(now) {
			bw.stats.RosterChanges++
		}
	case wire.FieldServerPong:
	default:
		bw.stats.ProtocolErrors++
	}
}

func (bw *botWorker) onSnapshot(b *Bot, p []byte, s wire.ServerScan, now int64) {
	if bw.e.spec.Validate {
		if err := proto.Unmarshal(p, &bw.msg); err != nil {
			bw.stats.ProtocolErrors++
		}
	}
	in := bw.e.inWindow(now)
	// ack_tick names the newest tick received; a bot that tracks
	// snapshots acknowledges only those it could resolve (a client
	// acknowledges only the worlds it reconstructed).
	if (b.track == nil || bw.trackSnapshot(b, s, in, now)) && s.Tick > b.lastTick.Load() {
		b.lastTick.Store(s.Tick)
	}
	// The reference window measures only the bots that will keep reading.
	ref := !in && bw.e.inRef(now) && !isSlow(b.g, bw.e.spec.SlowFraction)
	switch {
	case in:
		bw.stats.Snapshots++
		if s.Base == 0 {
			bw.stats.SnapshotsFull++
		}
		bw.stats.SnapshotSize.Record(int64(len(p)))
		if b.lastSnap != 0 {
			bw.stats.Gap.Record((now - b.lastSnap) / 1000)
		}
	case ref:
		bw.stats.RefSnapshots++
		if b.lastSnap != 0 {
			bw.stats.RefGap.Record((now - b.lastSnap) / 1000)
		}
	}
	// With a reference window (slow), the readers' gaps also go into one
	// histogram per second from its start, so that the windows can be
	// compared second by second (a machine hiccup spoils one second, not
	// the comparison).
	if (in || ref) && b.lastSnap != 0 && !b.slow.Load() {
		if rs := bw.e.refStart.Load(); rs != math.MaxInt64 {
			bw.stats.recordSecond(int((now-rs)/int64(time.Second)), (now-b.lastSnap)/1000)
		}
	}
	b.lastSnap = now
	// input_ack 0 is ambiguous (seq 0 applied, or nothing yet): the RTT is
	// sampled from the first advance above it.
	if s.HasAck && s.Ack > b.lastAck {
		if in || ref {
			if at, ok := b.sentAt(s.Ack); ok {
				rtt := int64(uint32(now/1000) - at)
				if in {
					bw.stats.RTT.Record(rtt)
				} else {
					bw.stats.RefRTT.Record(rtt)
				}
			} else if in {
				bw.stats.AcksLost++
			}
		}
		b.lastAck = s.Ack
	}
}

// trackSnapshot follows the snapshot's world (entity ids, own score) and
// records what the run measures about it. It reports whether the bot
// could resolve the snapshot (a full one, or a delta against a tick it
// has).
func (bw *botWorker) trackSnapshot(b *Bot, s wire.ServerScan, in bool, now int64) bool {
	if err := wire.ScanSnapshotColumns(s.Body, &bw.cols); err != nil {
		bw.stats.ProtocolErrors++
		return false
	}
	t := b.track.apply(&bw.cols)
	if in && b.track.ids {
		if t.ok {
			bw.stats.Entities.Record(int64(t.entities))
		} else {
			bw.stats.EntitiesUnresolved++
		}
		if s.Base == 0 {
			bw.stats.EntitiesFull.Record(int64(len(bw.cols.IDs)))
		}
	}
	if b.res != nil && b.res.awaitWorld {
		bw.afterResume(b, s.Base, t, now)
	}
	return t.ok
}

// decode fully decodes a (rare) non-snapshot message into bw.msg.
func (bw *botWorker) decode(p []byte) bool {
	if err := proto.Unmarshal(p, &bw.msg); err != nil {
		bw.stats.ProtocolErrors++
		return false
	}
	return true
}

// closeCodeName renders a close status code for the report.
func closeCodeName(c ws.StatusCode) string {
	if c.Empty() {
		return "none"
	}
	return strconv.Itoa(int(c))
}
