package bench

import (
	"errors"
	"fmt"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// ProtocolVersion is the protocol version the bots speak.
const ProtocolVersion = 1

// ClientName identifies the bots in Hello.client.
const ClientName = "skirmish-bots/0.1"

// Field numbers, taken from the generated descriptors so that they follow
// the contract rather than a copy of it.
var (
	fieldServerHello    = serverField("hello")
	fieldServerWelcome  = serverField("welcome")
	fieldServerSnapshot = serverField("snapshot")
	fieldServerPong     = serverField("pong")
	fieldServerError    = serverField("error")
	fieldServerRoster   = serverField("roster")
	fieldInputAck       = serverField("input_ack")
	fieldSnapshotTick   = messageField((&skirmishv1.Snapshot{}).ProtoReflect().Descriptor(), "tick")
)

func serverField(name protoreflect.Name) protowire.Number {
	return messageField((&skirmishv1.ServerMessage{}).ProtoReflect().Descriptor(), name)
}

func messageField(md protoreflect.MessageDescriptor, name protoreflect.Name) protowire.Number {
	fd := md.Fields().ByName(name)
	if fd == nil {
		panic(fmt.Sprintf("bench: %s has no field %q", md.FullName(), name))
	}
	return fd.Number()
}

// serverScan is what the hot path needs from a ServerMessage.
type serverScan struct {
	kind   protowire.Number // field number of the oneof member, 0 if none
	tick   uint32           // Snapshot.tick, for snapshots
	base   uint32           // Snapshot.base_tick (0: a full snapshot)
	ack    uint32           // input_ack
	hasAck bool
	body   []byte // the encoded Snapshot, for snapshots (aliases the input)
}

var errBadMessage = errors.New("malformed ServerMessage")

// scanServerMessage reads the oneof member, the snapshot tick and the
// input_ack of an encoded ServerMessage without decoding the snapshot's
// columns (a bot needs nothing else from the 30 snapshots a second). Other
// messages are rare and decoded in full with the generated code.
func scanServerMessage(p []byte) (s serverScan, err error) {
	for len(p) > 0 {
		num, typ, n := protowire.ConsumeTag(p)
		if n < 0 {
			return s, fmt.Errorf("%w: %v", errBadMessage, protowire.ParseError(n))
		}
		p = p[n:]
		switch {
		case num == fieldInputAck && typ == protowire.Fixed32Type:
			v, m := protowire.ConsumeFixed32(p)
			if m < 0 {
				return s, fmt.Errorf("%w: input_ack: %v", errBadMessage, protowire.ParseError(m))
			}
			s.ack, s.hasAck = v, true
			p = p[m:]
		case typ == protowire.BytesType && num >= fieldServerHello && num <= fieldServerRoster:
			v, m := protowire.ConsumeBytes(p)
			if m < 0 {
				return s, fmt.Errorf("%w: field %d: %v", errBadMessage, num, protowire.ParseError(m))
			}
			s.kind = num
			if num == fieldServerSnapshot {
				if s.tick, s.base, err = scanSnapshotTick(v); err != nil {
					return s, err
				}
				s.body = v
			}
			p = p[m:]
		default:
			m := protowire.ConsumeFieldValue(num, typ, p)
			if m < 0 {
				return s, fmt.Errorf("%w: field %d: %v", errBadMessage, num, protowire.ParseError(m))
			}
			p = p[m:]
		}
	}
	return s, nil
}

// scanSnapshotTick finds Snapshot.tick and Snapshot.base_tick in an
// encoded Snapshot.
func scanSnapshotTick(p []byte) (tick, base uint32, err error) {
	for len(p) > 0 {
		num, typ, n := protowire.ConsumeTag(p)
		if n < 0 {
			return 0, 0, fmt.Errorf("%w: snapshot: %v", errBadMessage, protowire.ParseError(n))
		}
		p = p[n:]
		if (num == fieldSnapshotTick || num == fieldSnapshotBase) && typ == protowire.VarintType {
			v, m := protowire.ConsumeVarint(p)
			if m < 0 {
				return 0, 0, fmt.Errorf("%w: snapshot tick: %v", errBadMessage, protowire.ParseError(m))
			}
			if num == fieldSnapshotTick {
				tick = uint32(v)
			} else {
				base = uint32(v)
			}
			p = p[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, p)
		if m < 0 {
			return 0, 0, fmt.Errorf("%w: snapshot field %d: %v", errBadMessage, num, protowire.ParseError(m))
		}
		p = p[m:]
	}
	return tick, base, nil
}

// appendInputAck appends the input_ack field the way the server does:
// five bytes after the rest of the message.
func appendInputAck(dst []byte, seq uint32) []byte {
	dst = protowire.AppendTag(dst, fieldInputAck, protowire.Fixed32Type)
	return protowire.AppendFixed32(dst, seq)
}
