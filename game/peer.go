package game

// Peer is the room's handle on one member's connection. The server
// implements it; the room never learns more about connections than this.
// Its methods must not block: a peer that cannot keep up is the server's
// problem (it drops or disconnects), never the room's.
type Peer interface {
	// Send delivers one encoded ServerMessage to this peer.
	Send(msg []byte)
	// Drop ends the peer's membership from the room's side; the server
	// tells the client why and closes the connection. The room sends
	// nothing more to a dropped peer.
	Drop(reason DropReason)
}

// Receiver is one addressee of a broadcast: its peer and the input_ack to
// append for it.
type Receiver struct {
	Peer     Peer
	InputAck uint32
}

// Broadcaster delivers a room's snapshots. msg is an encoded ServerMessage
// without input_ack; each receiver gets msg followed by its own input_ack
// field. The broadcaster must not keep msg after Broadcast returns: the room
// reuses it for the next tick.
type Broadcaster interface {
	Broadcast(msg []byte, to []Receiver)
}

// DropReason says why a room ends a peer's membership from its side.
type DropReason int

const (
	// DropTakenOver: the session was resumed on another connection.
	DropTakenOver DropReason = iota + 1
	// DropRoomFailed: the room ended on an internal error.
	DropRoomFailed
)
