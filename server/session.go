package server

import (
	"errors"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gobwas/ws"
	"google.golang.org/protobuf/proto"

	"github.com/skirmishgg/skirmish/game"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// Protocol facts announced in ServerHello.
const (
	serverName   = "skirmish/0.1"
	maxNameRunes = 16
	defaultName  = "player"
)

// onMessage handles one complete client message. It reports false when
// the connection is closing.
func (c *Conn) onMessage(p []byte) bool {
	c.lastMessage.Store(c.srv.wheel.now())
	if in, err := wire.DecodeInput(p); err == nil {
		c.onInput(in)
		return c.isOpen()
	}
	var m skirmishv1.ClientMessage
	if err := proto.Unmarshal(p, &m); err != nil {
		c.srv.stats.badMessages.Add(1)
		c.closeWith(ws.StatusInvalidFramePayloadData, "invalid protobuf ClientMessage")
		return false
	}
	c.mu.Lock()
	hello := c.hello
	c.mu.Unlock()
	switch msg := m.Msg.(type) {
	case *skirmishv1.ClientMessage_Hello:
		return c.onHello(msg.Hello)
	case *skirmishv1.ClientMessage_Ping:
		if !c.allowControl() {
			return c.isOpen()
		}
		now := time.Now()
		var hold uint32
		if c.arrived != 0 {
			hold = uint32(max(0, now.UnixNano()-c.arrived) / 1e3)
		}
		c.Send(mustMarshal(&skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_Pong{Pong: &skirmishv1.Pong{
			ClientTimeUs: msg.Ping.ClientTimeUs,
			ServerTimeUs: uint64(now.UnixMicro()),
			Tick:         c.roomTick(),
			HoldUs:       hold,
		}}}))
		return true
	}
	if !hello {
		c.sendError(skirmishv1.ErrorCode_ERROR_CODE_PROTOCOL, "send hello first")
		c.closeWith(ws.StatusPolicyViolation, "message before hello")
		return false
	}
	switch msg := m.Msg.(type) {
	case *skirmishv1.ClientMessage_Join:
		if c.allowJoin() {
			c.onJoin(msg.Join)
		} else {
			c.refuseJoin(msg.Join, skirmishv1.ErrorCode_ERROR_CODE_RATE_LIMITED, "too many joins: slow down")
		}
	case *skirmishv1.ClientMessage_Input:
		in := msg.Input
		c.onInput(wire.Input{Seq: in.Seq, DX: in.Dx, DY: in.Dy, Aim: in.Aim, Buttons: in.Buttons, AckTick: in.AckTick})
	case *skirmishv1.ClientMessage_Leave:
		if c.allowControl() {
			c.leaveRoom()
		}
	default:
		if c.allowControl() {
			c.sendError(skirmishv1.ErrorCode_ERROR_CODE_BAD_REQUEST, "empty or unknown message")
		}
	}
	return c.isOpen()
}

func (c *Conn) onHello(h *skirmishv1.Hello) bool {
	if h.ProtocolVersion != wire.ProtocolVersion {
		c.sendError(skirmishv1.ErrorCode_ERROR_CODE_PROTOCOL, "unsupported protocol version; this server speaks 1")
		c.closeWith(ws.StatusProtocolError, "unsupported protocol version")
		return false
	}
	c.mu.Lock()
	again := c.hello
	c.hello = true
	// The Hello deadline is over; the lobby's and the ping's may be sooner.
	c.srv.wheel.armEarlier(c, c.srv.wheel.now()+int64(min(c.srv.cfg.LobbyTimeout, c.srv.cfg.PingInterval)))
	c.mu.Unlock()
	if again && !c.allowControl() {
		return c.isOpen()
	}
	c.Send(mustMarshal(&skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_Hello{Hello: &skirmishv1.ServerHello{
		ProtocolVersion: wire.ProtocolVersion,
		Server:          serverName,
		MaxMessageBytes: uint32(c.srv.cfg.MaxMessageBytes),
	}}}))
	return true
}

func (c *Conn) onJoin(j *skirmishv1.Join) {
	if j.ResumeToken == "" && c.srv.draining.Load() {
		// A resume is not a new player: it goes on below.
		c.refuseJoin(j, skirmishv1.ErrorCode_ERROR_CODE_DRAINING, "this server is draining before a restart and takes no new players; join another server or retry later")
		return
	}
	c.leaveRoom() // joining another room leaves the current one
	if j.ResumeToken != "" {
		c.onResume(j.ResumeToken)
		return
	}
	room, id, err := c.srv.cfg.Hub.JoinWith(c, game.JoinRequest{
		Name:     cleanName(j.Name),
		Mode:     j.Mode,
		Room:     j.Room,
		Private:  j.Private,
		Spectate: j.Spectate,
		Capacity: int(min(j.Capacity, math.MaxInt32)),
		TickRate: int(min(j.TickRate, math.MaxInt32)),
		Owner:    ipKey(c.remote.Addr()).String(),
	})
	if err != nil {
		c.refuseJoin(j, joinErrorCode(err), err.Error())
		if errors.Is(err, game.ErrNoSuchRoom) {
			c.failedLookup()
		}
		return
	}
	c.attach(room, id, j.Spectate)
	result(&c.srv.stats.joinResults, 0)
}

// refuseJoin answers a Join (or a resume) with an Error and counts it.
func (c *Conn) refuseJoin(j *skirmishv1.Join, code skirmishv1.ErrorCode, text string) {
	if j.ResumeToken != "" {
		result(&c.srv.stats.resumeResults, code)
	} else {
		result(&c.srv.stats.joinResults, code)
	}
	c.sendError(code, text)
}

// failedLookup counts a Join for a room that is not there; a connection
// that keeps guessing is closed (room codes are not to be enumerated).
func (c *Conn) failedLookup() {
	c.mu.Lock()
	c.lookups++
	over := c.lookups > maxFailedLookups
	c.mu.Unlock()
	if over {
		c.srv.stats.lookupsClosed.Add(1)
		c.closeWith(ws.StatusPolicyViolation, "too many look-ups of rooms that do not exist")
	}
}

// onResume gives the connection the player its token names.
func (c *Conn) onResume(token string) {
	room, player, err := c.srv.cfg.Hub.Resume(c, token)
	if err == nil {
		c.attach(room, player, false)
		result(&c.srv.stats.resumeResults, 0)
		return
	}
	code := skirmishv1.ErrorCode_ERROR_CODE_SESSION_INVALID
	if errors.Is(err, game.ErrSessionGone) {
		code = skirmishv1.ErrorCode_ERROR_CODE_SESSION_EXPIRED
	}
	// Any client can send bad tokens at will: Debug only (counted in
	// skirmish_resumes_total).
	c.srv.log.Debug("resume refused", c.logArgs("err", err)...)
	result(&c.srv.stats.resumeResults, code)
	c.sendError(code, err.Error())
}

// attach records the session's room, unless the connection closed
// meanwhile (then the room is told at once).
func (c *Conn) attach(room *game.Room, id uint32, spectator bool) {
	c.mu.Lock()
	if c.state != stateOpen {
		c.mu.Unlock()
		room.Disconnect(id, c)
		return
	}
	c.room, c.player, c.spectator, c.warnedInput = room, id, spectator, false
	if l, ok := room.Link().(*roomLink); ok {
		c.enterLinkLocked(l)
	}
	if !spectator {
		c.srv.wheel.armEarlier(c, c.srv.wheel.now()+int64(c.srv.cfg.RTTInterval))
	}
	c.mu.Unlock()
	c.setTickRate(room.TickRate())
}

func joinErrorCode(err error) skirmishv1.ErrorCode {
	switch {
	case errors.Is(err, game.ErrRoomFull):
		return skirmishv1.ErrorCode_ERROR_CODE_ROOM_FULL
	case errors.Is(err, game.ErrUnknownMode):
		return skirmishv1.ErrorCode_ERROR_CODE_UNKNOWN_MODE
	case errors.Is(err, game.ErrRoomClosed), errors.Is(err, game.ErrHubClosed):
		return skirmishv1.ErrorCode_ERROR_CODE_ROOM_CLOSED
	case errors.Is(err, game.ErrTooManyRooms):
		return skirmishv1.ErrorCode_ERROR_CODE_TOO_MANY_ROOMS
	}
	return skirmishv1.ErrorCode_ERROR_CODE_BAD_REQUEST
}

// onInput queues an input for the player's room. An input outside a room
// gets one error, not one per input.
func (c *Conn) onInput(in wire.Input) {
	c.mu.Lock()
	room, id, hello, warned, spectator := c.room, c.player, c.hello, c.warnedInput, c.spectator
	if (room == nil || spectator) && hello {
		c.warnedInput = true
	}
	c.mu.Unlock()
	if room != nil && !spectator {
		if !c.allowInput() {
			c.srv.stats.inputsLimited.Add(1)
			return // dropped and counted
		}
		if room.Input(id, c, in) {
			c.srv.stats.inputsQueued.Add(1)
			return
		}
	}
	if !hello {
		c.srv.stats.inputsEarly.Add(1)
		c.sendError(skirmishv1.ErrorCode_ERROR_CODE_PROTOCOL, "send hello first")
		c.closeWith(ws.StatusPolicyViolation, "message before hello")
		return
	}
	c.srv.stats.inputsOutsideRoom.Add(1)
	switch {
	case warned:
	case spectator:
		c.sendError(skirmishv1.ErrorCode_ERROR_CODE_SPECTATOR, "spectators cannot send inputs")
	default:
		c.sendError(skirmishv1.ErrorCode_ERROR_CODE_BAD_REQUEST, "input outside a room: join first")
	}
}

func (c *Conn) roomTick() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.room == nil {
		return 0
	}
	return c.room.Tick()
}

func (c *Conn) sendError(code skirmishv1.ErrorCode, text string) {
	c.Send(mustMarshal(&skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_Error{Error: &skirmishv1.Error{Code: code, Message: text}}}))
}

// cleanName makes a display name safe to show: control, format (bidi
// overrides, zero-width joiners and spaces), private-use and invalid runes
// are dropped, other spaces become one plain space, and the result is cut
// to maxNameRunes runes.
func cleanName(s string) string {
	var b strings.Builder
	n, space := 0, false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.In(r, unicode.Zl, unicode.Zp):
			space = b.Len() > 0
			continue
		case r == utf8.RuneError || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs):
			continue
		}
		if n >= maxNameRunes {
			break
		}
		if space && n+1 < maxNameRunes {
			b.WriteByte(' ')
			n++
		}
		space = false
		b.WriteRune(r)
		n++
	}
	if b.Len() == 0 {
		return defaultName
	}
	return b.String()
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic("marshal server message: " + err.Error()) // only on a programming error
	}
	return b
}
