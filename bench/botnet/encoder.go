package botnet

import (
	"github.com/gobwas/ws"

	"github.com/skirmishgg/skirmish/bench/reactor"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
	"github.com/skirmishgg/skirmish/server/wsframe"
)

// ClientName identifies the bots in Hello.client.
const ClientName = "skirmish-bots/0.1"

// Encoder builds masked client frames from the generated message types,
// reusing its messages and its buffer: one per goroutine, nothing allocated
// per frame. A returned frame is valid until the next call.
type Encoder struct {
	buf []byte

	msg    skirmishv1.ClientMessage
	hello  skirmishv1.Hello
	join   skirmishv1.Join
	input  skirmishv1.Input
	leave  skirmishv1.Leave
	wHello skirmishv1.ClientMessage_Hello
	wJoin  skirmishv1.ClientMessage_Join
	wInput skirmishv1.ClientMessage_Input
	wLeave skirmishv1.ClientMessage_Leave
}

func (e *Encoder) frame() ([]byte, error) {
	var err error
	k := reactor.MaskKey()
	e.buf, err = reactor.AppendMessageFrame(e.buf[:0], &e.msg, &k)
	return e.buf, err
}

func (e *Encoder) Hello() ([]byte, error) {
	e.hello.ProtocolVersion = wire.ProtocolVersion
	e.hello.Client = ClientName
	e.wHello.Hello = &e.hello
	e.msg.Msg = &e.wHello
	return e.frame()
}

func (e *Encoder) Join(name, mode, room string) ([]byte, error) {
	e.join.Name, e.join.Mode, e.join.Room, e.join.ResumeToken = name, mode, room, ""
	e.wJoin.Join = &e.join
	e.msg.Msg = &e.wJoin
	return e.frame()
}

// JoinResume asks for the player a session token names.
func (e *Encoder) JoinResume(token string) ([]byte, error) {
	e.join.Name, e.join.Mode, e.join.Room, e.join.ResumeToken = "", "", "", token
	e.wJoin.Join = &e.join
	e.msg.Msg = &e.wJoin
	return e.frame()
}

func (e *Encoder) Input(seq uint32, dx, dy float32, ackTick uint32) ([]byte, error) {
	e.input.Seq, e.input.Dx, e.input.Dy, e.input.AckTick = seq, dx, dy, ackTick
	e.wInput.Input = &e.input
	e.msg.Msg = &e.wInput
	return e.frame()
}

func (e *Encoder) Leave() ([]byte, error) {
	e.wLeave.Leave = &e.leave
	e.msg.Msg = &e.wLeave
	return e.frame()
}

// Control frames a ping, pong or close frame (masked).
func (e *Encoder) Control(op ws.OpCode, payload []byte) []byte {
	k := reactor.MaskKey()
	e.buf = wsframe.AppendFrame(e.buf[:0], op, payload, &k)
	return e.buf
}

// Close frames a close frame with a status code.
func (e *Encoder) Close(code ws.StatusCode, reason string) []byte {
	return e.Control(ws.OpClose, ws.NewCloseFrameBody(code, reason))
}
