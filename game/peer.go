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

// Link is the server's side of one room: where, at the start of every
// tick, what the members sent comes from, and where the room's snapshots
// go. The hub opens one per room (HubConfig.NewLink); the room calls it
// only from its loop goroutine and closes it when the loop ends.
type Link interface {
	// Poll reads what the members' connections delivered since the last
	// tick and hands it to the room through its methods (Input, Leave,
	// ...). Inputs are applied at the tick, so reading them here rather
	// than as they arrive costs nothing in latency and saves a wake-up per
	// message.
	Poll()
	// Broadcast delivers msg, an encoded ServerMessage without input_ack,
	// to every receiver, each followed by its own input_ack field. The
	// link must not keep msg after Broadcast returns: the room reuses it
	// for the next tick.
	Broadcast(msg []byte, to []Receiver)
	// Close releases the link: the room has ended.
	Close()
}

// DropReason says why a room ends a peer's membership from its side.
type DropReason int

const (
	// DropTakenOver: the session was resumed on another connection.
	DropTakenOver DropReason = iota + 1
	// DropRoomFailed: the room ended on an internal error.
	DropRoomFailed
)
