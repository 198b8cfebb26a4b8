package wire

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
)

// TestFieldNumbersMatchDescriptors holds every hand-written field number
// to the generated descriptors, so that an edit of the .proto that moves a
// field fails here instead of corrupting the wire.
func TestFieldNumbersMatchDescriptors(t *testing.T) {
	client := (&skirmishv1.ClientMessage{}).ProtoReflect().Descriptor()
	input := (&skirmishv1.Input{}).ProtoReflect().Descriptor()
	server := (&skirmishv1.ServerMessage{}).ProtoReflect().Descriptor()
	snap := (&skirmishv1.Snapshot{}).ProtoReflect().Descriptor()
	for _, c := range []struct {
		msg  protoreflect.MessageDescriptor
		name protoreflect.Name
		kind protoreflect.Kind
		num  protowire.Number
	}{
		{client, "hello", protoreflect.MessageKind, FieldClientHello},
		{client, "join", protoreflect.MessageKind, FieldClientJoin},
		{client, "input", protoreflect.MessageKind, FieldClientInput},
		{client, "ping", protoreflect.MessageKind, FieldClientPing},
		{client, "leave", protoreflect.MessageKind, FieldClientLeave},
		{input, "seq", protoreflect.Uint32Kind, FieldInputSeq},
		{input, "dx", protoreflect.FloatKind, FieldInputDX},
		{input, "dy", protoreflect.FloatKind, FieldInputDY},
		{input, "aim", protoreflect.FloatKind, FieldInputAim},
		{input, "buttons", protoreflect.Uint32Kind, FieldInputButtons},
		{input, "ack_tick", protoreflect.Uint32Kind, FieldInputAckTick},
		{server, "hello", protoreflect.MessageKind, FieldServerHello},
		{server, "welcome", protoreflect.MessageKind, FieldServerWelcome},
		{server, "snapshot", protoreflect.MessageKind, FieldServerSnapshot},
		{server, "pong", protoreflect.MessageKind, FieldServerPong},
		{server, "error", protoreflect.MessageKind, FieldServerError},
		{server, "roster", protoreflect.MessageKind, FieldServerRoster},
		{server, "roster_update", protoreflect.MessageKind, FieldServerRosterUpdate},
		{server, "input_ack", protoreflect.Fixed32Kind, FieldServerInputAck},
		{snap, "tick", protoreflect.Uint32Kind, FieldSnapTick},
		{snap, "base_tick", protoreflect.Uint32Kind, FieldSnapBaseTick},
		{snap, "id", protoreflect.Uint32Kind, FieldSnapID},
		{snap, "kind", protoreflect.Sint32Kind, FieldSnapKind},
		{snap, "x", protoreflect.Sint32Kind, FieldSnapX},
		{snap, "y", protoreflect.Sint32Kind, FieldSnapY},
		{snap, "vx", protoreflect.Sint32Kind, FieldSnapVX},
		{snap, "vy", protoreflect.Sint32Kind, FieldSnapVY},
		{snap, "angle", protoreflect.Sint32Kind, FieldSnapAngle},
		{snap, "hp", protoreflect.Sint32Kind, FieldSnapHP},
		{snap, "score", protoreflect.Sint32Kind, FieldSnapScore},
		{snap, "removed", protoreflect.Uint32Kind, FieldSnapRemoved},
	} {
		fd := c.msg.Fields().ByName(c.name)
		if fd == nil {
			t.Errorf("%s has no field %s", c.msg.FullName(), c.name)
			continue
		}
		if fd.Number() != c.num || fd.Kind() != c.kind {
			t.Errorf("%s: number %d kind %v in the contract, %d %v here", fd.FullName(), fd.Number(), fd.Kind(), c.num, c.kind)
		}
	}
	// The snapshot columns are the entity fields, in field order.
	for i, c := range columns {
		if want := FieldSnapKind + protowire.Number(i); c.field != want {
			t.Errorf("column %d has field %d, want %d", i, c.field, want)
		}
	}
	// ServerScan relies on the oneof members being numbered
	// hello..roster_update.
	oneof := server.Oneofs().ByName("msg").Fields()
	for i := range oneof.Len() {
		if n := oneof.Get(i).Number(); n < FieldServerHello || n > FieldServerRosterUpdate {
			t.Errorf("ServerMessage.msg member %s is %d, outside [%d, %d]", oneof.Get(i).Name(), n, FieldServerHello, FieldServerRosterUpdate)
		}
	}
	if got := len(AppendInputAck(nil, 1<<31)); got != InputAckSize {
		t.Errorf("input_ack is %d bytes, InputAckSize says %d", got, InputAckSize)
	}
	if int32(skirmishv1.EntityKind_ENTITY_KIND_PLAYER) != KindPlayer ||
		int32(skirmishv1.EntityKind_ENTITY_KIND_PROJECTILE) != KindProjectile ||
		int32(skirmishv1.EntityKind_ENTITY_KIND_PICKUP) != KindPickup ||
		uint32(skirmishv1.Button_BUTTON_FIRE) != ButtonFire {
		t.Error("entity kinds or buttons differ from the contract's enums")
	}
}
