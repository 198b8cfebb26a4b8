// Package wire holds the hand-written parts of the skirmish.v1 contract:
// the protocol version, the field numbers the fast paths use, the input
// decoder and snapshot encoder that run every tick, and the reference
// snapshot decoder. The server, the rooms and the bots all use this one
// package, so the contract's byte-level rules are written once. The
// generated code in proto/skirmish/v1 stays the reference for everything
// else; the tests check each fast path and field number against it.
package wire

import "google.golang.org/protobuf/encoding/protowire"

// ProtocolVersion is the version of the contract this code speaks
// (Hello.protocol_version, ServerHello.protocol_version).
const ProtocolVersion = 1

// Field numbers of skirmish.v1 messages used by the hand-written paths.
// fields_test.go checks each one against the generated descriptors.
const (
	// ClientMessage
	FieldClientHello protowire.Number = 1
	FieldClientJoin  protowire.Number = 2
	FieldClientInput protowire.Number = 3
	FieldClientPing  protowire.Number = 4
	FieldClientLeave protowire.Number = 5

	// Input
	FieldInputSeq     protowire.Number = 1
	FieldInputDX      protowire.Number = 2
	FieldInputDY      protowire.Number = 3
	FieldInputAim     protowire.Number = 4
	FieldInputButtons protowire.Number = 5
	FieldInputAckTick protowire.Number = 6

	// ServerMessage: the oneof members and input_ack.
	FieldServerHello    protowire.Number = 1
	FieldServerWelcome  protowire.Number = 2
	FieldServerSnapshot protowire.Number = 3
	FieldServerPong     protowire.Number = 4
	FieldServerError    protowire.Number = 5
	FieldServerRoster   protowire.Number = 6
	// FieldServerRosterUpdate is the highest oneof member: ServerScan
	// reads members hello..roster_update.
	FieldServerRosterUpdate protowire.Number = 7
	FieldServerInputAck     protowire.Number = 15

	// Snapshot
	FieldSnapTick     protowire.Number = 1
	FieldSnapBaseTick protowire.Number = 2
	FieldSnapID       protowire.Number = 3
	FieldSnapKind     protowire.Number = 4
	FieldSnapX        protowire.Number = 5
	FieldSnapY        protowire.Number = 6
	FieldSnapVX       protowire.Number = 7
	FieldSnapVY       protowire.Number = 8
	FieldSnapAngle    protowire.Number = 9
	FieldSnapHP       protowire.Number = 10
	FieldSnapScore    protowire.Number = 11
	FieldSnapRemoved  protowire.Number = 12
)
