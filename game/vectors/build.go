package vectors

import "encoding/json"

// Build returns the vectors.
func Build() File {
	return File{
		Format: "skirmish.v1 golden vectors 1",
		About: []string{
			"Golden vectors of the skirmish.v1 wire contract; docs/clients.md explains how to use them and docs/protocol.md states the rules.",
			"streams: what one connection receives from its first Welcome on. message is an encoded ServerMessage (base64). expect is what the client holds after handling it; absent fields are not concerned.",
			"expect.error: the client must refuse the message (drop it, acknowledge nothing new); its state stays as it was.",
			"expect.ack_tick: the ack_tick of the client's next Input: the newest tick reconstructed since the latest Welcome, 0 for none.",
			"expect.world: the world the snapshot describes, entities in ascending id order, all fields, in wire units. expect.roster: the players after a Roster or RosterUpdate, ascending id.",
			"movement: a player moved by a mode's rule (Welcome.movement, Welcome.tick_period_ns) from start, one input per tick; dx, dy are float32 on the wire (convert before use); x, y, vx, vy in world units after each tick, equal within 1e-6.",
		},
		Streams:  streams(),
		Movement: movements(),
	}
}

// JSON returns the vectors as the committed file holds them.
func JSON() ([]byte, error) {
	b, err := json.MarshalIndent(Build(), "", " ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
