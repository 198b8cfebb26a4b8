package robustness

import (
	"fmt"
	"net"
	"net/url"

	"github.com/gobwas/ws"
	"google.golang.org/protobuf/proto"

	"github.com/skirmishgg/skirmish/bench/reactor"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/server/wsframe"
)

// abuseCase is one thing a broken or hostile client does, and how the
// server should answer.
type abuseCase struct {
	name, sent, expect string
	tcpOnly            bool // no WebSocket upgrade
	noHello            bool // upgrade but skip the Hello handshake
	hang               bool
	send               func(c net.Conn, a *abuseEnv) error
	judge              func(o *abuseResult) bool
}

// abuseEnv is what a case may need from the handshake.
type abuseEnv struct {
	u        *url.URL
	maxBytes int // server's max_message_bytes (0 if not announced)
}

func closeIs(codes ...int) func(o *abuseResult) bool {
	return func(o *abuseResult) bool {
		for _, c := range codes {
			if o.CloseCode == c && o.Closed {
				return true
			}
		}
		return false
	}
}

func maskedFrame(op ws.OpCode, p []byte) []byte {
	k := reactor.MaskKey()
	return wsframe.AppendFrame(nil, op, p, &k)
}

func clientFrame(m *skirmishv1.ClientMessage) []byte {
	k := reactor.MaskKey()
	b, err := reactor.AppendMessageFrame(nil, m, &k)
	if err != nil {
		panic(err) // static messages: cannot fail
	}
	return b
}

func payloadOf(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func writeAll(c net.Conn, parts ...[]byte) error {
	for _, p := range parts {
		if _, err := c.Write(p); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	return nil
}

var pingMsg = &skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Ping{Ping: &skirmishv1.Ping{ClientTimeUs: 42}}}

func abuseCases() []abuseCase {
	return []abuseCase{
		{name: "text_frame", sent: "text frame after the handshake", expect: "close 1003",
			send:  func(c net.Conn, _ *abuseEnv) error { return writeAll(c, maskedFrame(ws.OpText, []byte("hello"))) },
			judge: closeIs(1003)},
		{name: "malformed_protobuf", sent: "binary frame of bytes that are not a ClientMessage", expect: "close 1007 (or Error)",
			send: func(c net.Conn, _ *abuseEnv) error {
				return writeAll(c, maskedFrame(ws.OpBinary, []byte{0xff, 0xff, 0xff, 0xff, 0x0f, 0x08}))
			},
			judge: func(o *abuseResult) bool { return closeIs(1007)(o) || o.ErrorCode != "" }},
		{name: "oversized_frame", sent: "binary frame of max_message_bytes+1", expect: "close 1009",
			send: func(c net.Conn, a *abuseEnv) error {
				n := a.maxBytes + 1
				if a.maxBytes == 0 {
					n = 1<<20 + 1
				}
				return writeAll(c, maskedFrame(ws.OpBinary, make([]byte, n)))
			},
			judge: closeIs(1009)},
		{name: "huge_length_header", sent: "header announcing 2^62 bytes, nothing after", expect: "close 1009",
			send: func(c net.Conn, _ *abuseEnv) error {
				return writeAll(c, wsframe.AppendHeader(nil, ws.Header{Fin: true, OpCode: ws.OpBinary, Length: 1 << 62, Masked: true, Mask: reactor.MaskKey()}))
			},
			judge: closeIs(1009)},
		{name: "unmasked_frame", sent: "valid Ping message in an unmasked frame", expect: "close 1002",
			send: func(c net.Conn, _ *abuseEnv) error {
				return writeAll(c, wsframe.AppendFrame(nil, ws.OpBinary, payloadOf(pingMsg), nil))
			},
			judge: closeIs(1002)},
		{name: "fragmented_message", sent: "valid Ping message split in two frames (binary+continuation)", expect: "Pong (RFC 6455 allows fragments) or close 1002/1003",
			send: func(c net.Conn, _ *abuseEnv) error {
				p := payloadOf(pingMsg)
				h := len(p) / 2
				k1, k2 := reactor.MaskKey(), reactor.MaskKey()
				f1 := wsframe.AppendHeader(nil, ws.Header{OpCode: ws.OpBinary, Length: int64(h), Masked: true, Mask: k1})
				f1 = append(f1, p[:h]...)
				ws.Cipher(f1[len(f1)-h:], k1, 0)
				f2 := wsframe.AppendHeader(nil, ws.Header{Fin: true, OpCode: ws.OpContinuation, Length: int64(len(p) - h), Masked: true, Mask: k2})
				f2 = append(f2, p[h:]...)
				ws.Cipher(f2[len(f2)-(len(p)-h):], k2, 0)
				return writeAll(c, f1, f2)
			},
			judge: func(o *abuseResult) bool { return o.GotPong || closeIs(1002, 1003)(o) }},
		{name: "reserved_opcode", sent: "frame with reserved opcode 0x3", expect: "close 1002",
			send:  func(c net.Conn, _ *abuseEnv) error { return writeAll(c, maskedFrame(ws.OpCode(3), []byte{1})) },
			judge: closeIs(1002)},
		{name: "rsv_bits", sent: "binary frame with RSV1 set, no extension negotiated", expect: "close 1002",
			send: func(c net.Conn, _ *abuseEnv) error {
				k := reactor.MaskKey()
				p := payloadOf(pingMsg)
				f := wsframe.AppendHeader(nil, ws.Header{Fin: true, Rsv: 4, OpCode: ws.OpBinary, Length: int64(len(p)), Masked: true, Mask: k})
				f = append(f, p...)
				ws.Cipher(f[len(f)-len(p):], k, 0)
				return writeAll(c, f)
			},
			judge: closeIs(1002)},
		{name: "long_control_frame", sent: "ping control frame with 126 bytes", expect: "close 1002",
			send:  func(c net.Conn, _ *abuseEnv) error { return writeAll(c, maskedFrame(ws.OpPing, make([]byte, 126))) },
			judge: closeIs(1002)},
		{name: "orphan_continuation", sent: "continuation frame with no message started", expect: "close 1002",
			send:  func(c net.Conn, _ *abuseEnv) error { return writeAll(c, maskedFrame(ws.OpContinuation, []byte{1, 2})) },
			judge: closeIs(1002)},
		{name: "bad_protocol_version", sent: "Hello{protocol_version: 999}", expect: "Error PROTOCOL, then close", noHello: true,
			send: func(c net.Conn, _ *abuseEnv) error {
				return writeAll(c, clientFrame(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Hello{Hello: &skirmishv1.Hello{ProtocolVersion: 999}}}))
			},
			judge: func(o *abuseResult) bool { return o.ErrorCode == "ERROR_CODE_PROTOCOL" }},
		{name: "join_before_hello", sent: "Join without Hello", expect: "Error (BAD_REQUEST or PROTOCOL) or close", noHello: true,
			send: func(c net.Conn, _ *abuseEnv) error {
				return writeAll(c, clientFrame(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Join{Join: &skirmishv1.Join{Mode: "movers", Room: "abuse"}}}))
			},
			judge: func(o *abuseResult) bool { return o.ErrorCode != "" || o.CloseCode != 0 }},
		{name: "input_before_join", sent: "Input after Hello, outside any room", expect: "Error BAD_REQUEST, stays open",
			send: func(c net.Conn, _ *abuseEnv) error {
				return writeAll(c, clientFrame(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Input{Input: &skirmishv1.Input{Seq: 1}}}))
			},
			judge: func(o *abuseResult) bool { return o.ErrorCode == "ERROR_CODE_BAD_REQUEST" && !o.Closed }},
		{name: "unknown_mode", sent: "Join{mode: \"no-such-mode\"}", expect: "Error UNKNOWN_MODE",
			send: func(c net.Conn, _ *abuseEnv) error {
				return writeAll(c, clientFrame(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Join{Join: &skirmishv1.Join{Mode: "no-such-mode"}}}))
			},
			judge: func(o *abuseResult) bool { return o.ErrorCode == "ERROR_CODE_UNKNOWN_MODE" }},
		{name: "half_frame", sent: "header announcing 100 bytes, then 10, then silence", expect: "closed by a server timeout", hang: true,
			send: func(c net.Conn, _ *abuseEnv) error {
				f := wsframe.AppendHeader(nil, ws.Header{Fin: true, OpCode: ws.OpBinary, Length: 100, Masked: true, Mask: reactor.MaskKey()})
				return writeAll(c, append(f, make([]byte, 10)...))
			},
			judge: func(o *abuseResult) bool { return o.Closed }},
		{name: "half_upgrade", sent: "HTTP upgrade request without its final CRLF, then silence", expect: "closed by a server timeout", tcpOnly: true, hang: true,
			send: func(c net.Conn, a *abuseEnv) error {
				req := "GET " + a.u.RequestURI() + " HTTP/1.1\r\nHost: " + a.u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
					"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				return writeAll(c, []byte(req))
			},
			judge: func(o *abuseResult) bool { return o.Closed }},
		{name: "silent_tcp", sent: "TCP connection that never sends a byte", expect: "closed by a server timeout", tcpOnly: true, hang: true,
			send:  func(net.Conn, *abuseEnv) error { return nil },
			judge: func(o *abuseResult) bool { return o.Closed }},
		{name: "garbage_request", sent: "bytes that are not HTTP", expect: "HTTP 400 and close", tcpOnly: true,
			send: func(c net.Conn, _ *abuseEnv) error {
				return writeAll(c, []byte("\x16\x03\x01 not http at all\r\n\r\n"))
			},
			judge: func(o *abuseResult) bool { return o.Closed && (o.HTTPStatus == 0 || o.HTTPStatus >= 400) }},
	}
}
