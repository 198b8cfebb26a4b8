package server

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"
	"google.golang.org/protobuf/proto"

	"github.com/skirmishgg/skirmish/game"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
)

// Protocol facts announced in ServerHello.
const (
	ProtocolVersion = 1
	ServerName      = "skirmish/0.1"
	maxNameRunes    = 16
	defaultName     = "player"
)

// onMessage handles one complete client message. It reports false when
// the connection is closing.
func (c *Conn) onMessage(p []byte) bool {
	if in, err := decodeInput(p); err == nil {
		c.srv.stats.inputs.Add(1)
		c.onInput(in)
		return true
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
		c.Send(mustMarshal(&skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_Pong{Pong: &skirmishv1.Pong{
			ClientTimeUs: msg.Ping.ClientTimeUs,
			ServerTimeUs: uint64(time.Now().UnixMicro()),
			Tick:         c.roomTick(),
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
		c.onJoin(msg.Join)
	case *skirmishv1.ClientMessage_Input:
		c.srv.stats.inputs.Add(1)
		in := msg.Input
		c.onInput(game.Input{Seq: in.Seq, DX: in.Dx, DY: in.Dy, Aim: in.Aim, Buttons: in.Buttons, AckTick: in.AckTick})
	case *skirmishv1.ClientMessage_Leave:
		c.leaveRoom()
	default:
		c.sendError(skirmishv1.ErrorCode_ERROR_CODE_BAD_REQUEST, "empty or unknown message")
	}
	return true
}

func (c *Conn) onHello(h *skirmishv1.Hello) bool {
	if h.ProtocolVersion != ProtocolVersion {
		c.sendError(skirmishv1.ErrorCode_ERROR_CODE_PROTOCOL, "unsupported protocol version; this server speaks 1")
		c.closeWith(ws.StatusProtocolError, "unsupported protocol version")
		return false
	}
	c.mu.Lock()
	c.hello = true
	c.mu.Unlock()
	c.Send(mustMarshal(&skirmishv1.ServerMessage{Msg: &skirmishv1.ServerMessage_Hello{Hello: &skirmishv1.ServerHello{
		ProtocolVersion: ProtocolVersion,
		Server:          ServerName,
		MaxMessageBytes: uint32(c.srv.cfg.MaxMessageBytes),
	}}}))
	return true
}

func (c *Conn) onJoin(j *skirmishv1.Join) {
	c.leaveRoom() // joining another room leaves the current one
	room, id, err := c.srv.cfg.Hub.Join(c, cleanName(j.Name), j.Mode, j.Room)
	if err != nil {
		c.srv.stats.joinErrors.Add(1)
		c.sendError(joinErrorCode(err), err.Error())
		return
	}
	c.mu.Lock()
	if c.state != stateOpen {
		// Closed while joining: undo.
		c.mu.Unlock()
		room.Leave(id)
		return
	}
	c.room, c.player, c.warnedInput = room, id, false
	c.mu.Unlock()
	c.srv.stats.joins.Add(1)
}

func joinErrorCode(err error) skirmishv1.ErrorCode {
	switch {
	case errors.Is(err, game.ErrRoomFull):
		return skirmishv1.ErrorCode_ERROR_CODE_ROOM_FULL
	case errors.Is(err, game.ErrUnknownMode):
		return skirmishv1.ErrorCode_ERROR_CODE_UNKNOWN_MODE
	case errors.Is(err, game.ErrRoomClosed), errors.Is(err, game.ErrHubClosed):
		return skirmishv1.ErrorCode_ERROR_CODE_ROOM_CLOSED
	}
	return skirmishv1.ErrorCode_ERROR_CODE_BAD_REQUEST
}

// onInput queues an input for the player's room. An input outside a room
// gets one error, not one per input.
func (c *Conn) onInput(in game.Input) {
	c.mu.Lock()
	room, id, hello, warned := c.room, c.player, c.hello, c.warnedInput
	if room == nil && hello {
		c.warnedInput = true
	}
	c.mu.Unlock()
	if room != nil && room.Input(id, in) {
		return
	}
	if !hello {
		c.sendError(skirmishv1.ErrorCode_ERROR_CODE_PROTOCOL, "send hello first")
		c.closeWith(ws.StatusPolicyViolation, "message before hello")
		return
	}
	c.srv.stats.inputsOutsideRoom.Add(1)
	if !warned {
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

// cleanName trims a display name to maxNameRunes printable runes.
func cleanName(s string) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < ' ' || r == utf8.RuneError {
			return -1
		}
		return r
	}, s))
	if utf8.RuneCountInString(s) > maxNameRunes {
		s = string([]rune(s)[:maxNameRunes])
	}
	if s == "" {
		return defaultName
	}
	return s
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic("marshal server message: " + err.Error()) // only on a programming error
	}
	return b
}
