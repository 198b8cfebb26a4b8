package game

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
)

type commandKind int

const (
	cmdJoin commandKind = iota
	cmdLeave
	cmdAway   // the player's connection dropped: keep it for the grace period
	cmdResume // the player is back on peer
)

// command is a change of membership that the server's goroutines queue
// and the loop applies at the start of the next tick.
type command struct {
	kind commandKind
	m    *member
	peer Peer // cmdResume: the new connection; cmdResume replaces the old one
}

// applyCommands applies the queued joins, leaves, disconnects and resumes
// in order, then greets whoever arrived with Welcome and the full Roster,
// and tells everyone else what changed in one RosterUpdate.
func (r *Room) applyCommands() {
	r.mu.Lock()
	cmds := r.commands
	r.commands = nil
	r.mu.Unlock()
	r.expireAway()
	if len(cmds) == 0 {
		return
	}
	var welcome []*member // to greet after all commands, with the final roster
	var joined []*member  // players new to the roster this tick
	var left []uint32     // players gone from it this tick
	for _, c := range cmds {
		switch c.kind {
		case cmdJoin:
			if !c.m.spectator {
				r.mode.AddPlayer(c.m.id, c.m.name)
				joined = append(joined, c.m)
			}
			i, _ := slices.BinarySearchFunc(r.members, c.m.id, func(m *member, id uint32) int { return int(m.id) - int(id) })
			r.members = slices.Insert(r.members, i, c.m)
			c.m.since = r.tick
			welcome = append(welcome, c.m)
		case cmdLeave:
			if !c.m.spectator {
				r.mode.RemovePlayer(c.m.id)
				// Joined and left within the tick: nobody heard of it.
				if i := slices.Index(joined, c.m); i >= 0 {
					joined = slices.Delete(joined, i, i+1)
				} else {
					left = append(left, c.m.id)
				}
			}
			r.members = slices.DeleteFunc(r.members, func(m *member) bool { return m == c.m })
			welcome = slices.DeleteFunc(welcome, func(m *member) bool { return m == c.m })
		case cmdAway:
			c.m.peer, c.m.awayTick = nil, r.tick
			// The player stands still while away: replace its last controls
			// (an input with the same seq replaces, a lower one is ignored).
			r.mode.ApplyInput(c.m.id, wire.Input{Seq: c.m.lastSeq})
			welcome = slices.DeleteFunc(welcome, func(m *member) bool { return m == c.m })
		case cmdResume:
			if old := c.m.peer; old != nil && old != c.peer {
				old.Drop(DropTakenOver)
			}
			c.m.peer, c.m.awayTick = c.peer, 0
			c.m.ackTick = 0 // the new connection has no baseline
			c.m.since = r.tick
			c.m.resumed = true
			welcome = append(welcome, c.m)
		}
	}
	r.greet(welcome)
	if len(joined) > 0 || len(left) > 0 {
		update := r.rosterUpdate(joined, left)
		for _, m := range r.members {
			if m.peer != nil && m.greetedAt != r.tick {
				m.peer.Send(update)
			}
		}
	}
}

// greet sends each member in welcome that is still here and connected its
// Welcome and the full Roster, which already holds this tick's changes.
func (r *Room) greet(welcome []*member) {
	var roster []byte
	for _, m := range welcome {
		if m.peer != nil && slices.Contains(r.members, m) {
			if roster == nil {
				roster = r.roster()
			}
			m.peer.Send(r.welcome(m))
			m.peer.Send(roster)
			m.greetedAt = r.tick
		}
		m.resumed = false
	}
}

// welcome is the encoded Welcome of m, with a fresh session token for a
// player when the room has Sessions.
func (r *Room) welcome(m *member) []byte {
	w, h := r.mode.WorldSize()
	wm := &skirmishv1.Welcome{
		PlayerId:      m.id,
		Room:          r.cfg.ID,
		Mode:          r.mode.Name(),
		TickRate:      uint32(r.cfg.TickRate),
		Tick:          r.tick,
		WorldWidth:    uint32(w),
		WorldHeight:   uint32(h),
		PositionScale: wire.PositionScale,
		Spectator:     m.spectator,
		Capacity:      uint32(r.cfg.Capacity),
		Resumed:       m.resumed,
		InputSeq:      m.lastSeq,
		TickPeriodNs:  uint32(r.period.Nanoseconds()),
	}
	if rule := r.mode.Movement(); rule != (Movement{}) {
		wm.Movement = &skirmishv1.Movement{Speed: float32(rule.Speed), Radius: float32(rule.Radius), NormalizeDiagonal: rule.NormalizeDiagonal}
	}
	if m.spectator {
		wm.PlayerId = 0
	} else if r.cfg.Sessions != nil {
		r.mu.Lock()
		secret := m.secret
		r.mu.Unlock()
		wm.SessionToken = r.cfg.Sessions.Issue(Session{Room: r.cfg.ID, Incarnation: r.incarnation, Player: m.id, Secret: secret})
		wm.ResumeGraceMs = uint32(r.cfg.ResumeGrace.Milliseconds())
	}
	msg, err := proto.Marshal(&skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_Welcome{Welcome: wm}})
	if err != nil {
		panic(fmt.Sprintf("marshal welcome: %v", err)) // cannot fail for this message
	}
	return msg
}

// roster is the encoded Roster of the room's players (not spectators).
func (r *Room) roster() []byte {
	ro := &skirmishv1.Roster{Players: make([]*skirmishv1.RosterEntry, 0, len(r.members))}
	for _, m := range r.members {
		if !m.spectator {
			ro.Players = append(ro.Players, &skirmishv1.RosterEntry{Id: m.id, Name: m.name})
		}
	}
	msg, err := proto.Marshal(&skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_Roster{Roster: ro}})
	if err != nil {
		panic(fmt.Sprintf("marshal roster: %v", err))
	}
	return msg
}

// rosterUpdate is the encoded RosterUpdate of one tick: encoded once, sent
// to every member, and as small as the change (a full Roster to each of
// 512 players on every join would be ~36 KB each).
func (r *Room) rosterUpdate(joined []*member, left []uint32) []byte {
	ru := &skirmishv1.RosterUpdate{Left: left}
	if len(joined) > 0 {
		ru.Joined = make([]*skirmishv1.RosterEntry, len(joined))
		for i, m := range joined {
			ru.Joined[i] = &skirmishv1.RosterEntry{Id: m.id, Name: m.name}
		}
	}
	msg, err := proto.Marshal(&skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_RosterUpdate{RosterUpdate: ru}})
	if err != nil {
		panic(fmt.Sprintf("marshal roster update: %v", err))
	}
	return msg
}
