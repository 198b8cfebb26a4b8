// Package vectors builds the golden vectors of the skirmish.v1 contract:
// sequences of encoded server messages, each with what a client must hold
// after it, and sequences of inputs with where the movement rule puts a
// player. They are written, language-neutral, to proto/testdata/vectors.json
// (go generate; CI checks the file is current), and every client of the
// project (Go, TypeScript, Python) passes them in its tests. A client in
// another language uses them as its tests too (docs/clients.md).
//
// The worlds a client must reconstruct come from the scripts below, not
// from a decoder; the bytes come from the server's own encoder
// (wire.SnapshotEncoder) and the generated code, except for the few
// messages written by hand to show encodings a decoder must accept or
// refuse.
package vectors

//go:generate go run ./vectorgen ../../proto/testdata/vectors.json

// File is the whole of vectors.json.
type File struct {
	Format   string     `json:"format"`
	About    []string   `json:"about"`
	Streams  []Stream   `json:"streams"`
	Movement []Movement `json:"movement"`
}

// Stream is what one connection receives, in order: one client's messages
// from a first Welcome on.
type Stream struct {
	Name  string `json:"name"`
	About string `json:"about"`
	Steps []Step `json:"steps"`
}

// Step is one ServerMessage and what the client holds after handling it.
type Step struct {
	About string `json:"about"`
	// Message is the encoded ServerMessage, base64 (standard, padded).
	Message string `json:"message"`
	Expect  Expect `json:"expect"`
}

// Expect is the client's state after a step. Fields that the step does
// not concern are omitted.
type Expect struct {
	// Error is set when the client must refuse the message (a snapshot it
	// cannot apply): it drops it, acknowledges nothing new, and its state
	// stays as it was. The text says why, for people.
	Error string `json:"error,omitempty"`
	// Welcome: the membership the client is in now.
	Room     string  `json:"room,omitempty"`
	PlayerID *uint32 `json:"player_id,omitempty"`
	TickRate uint32  `json:"tick_rate,omitempty"`
	// AckTick is the Input.ack_tick the client sends next: the newest tick
	// it reconstructed since the latest Welcome (0: none yet).
	AckTick *uint32 `json:"ack_tick,omitempty"`
	// InputAck is ServerMessage.input_ack of a snapshot.
	InputAck *uint32 `json:"input_ack,omitempty"`
	// World is the world the snapshot describes, entities in ascending id
	// order, positions and velocities in wire units (world units ×
	// Welcome.position_scale).
	World *World `json:"world,omitempty"`
	// Roster is the room's players after a Roster or RosterUpdate, in
	// ascending id order.
	Roster []Player `json:"roster,omitempty"`
}

// World is a reconstructed snapshot.
type World struct {
	Tick     uint32   `json:"tick"`
	Entities []Entity `json:"entities"`
}

// Entity is one entity of a World, every field present.
type Entity struct {
	ID    uint32 `json:"id"`
	Kind  int32  `json:"kind"`
	X     int32  `json:"x"`
	Y     int32  `json:"y"`
	VX    int32  `json:"vx"`
	VY    int32  `json:"vy"`
	Angle int32  `json:"angle"`
	HP    int32  `json:"hp"`
	Score int32  `json:"score"`
}

// Player is one roster entry.
type Player struct {
	ID   uint32 `json:"id"`
	Name string `json:"name"`
}

// Movement is a player moved by a mode's rule from Welcome, one input a
// tick.
type Movement struct {
	Name         string   `json:"name"`
	About        string   `json:"about"`
	Mode         string   `json:"mode"`
	WorldWidth   uint32   `json:"world_width"`
	WorldHeight  uint32   `json:"world_height"`
	TickPeriodNs uint32   `json:"tick_period_ns"`
	Rule         Rule     `json:"rule"`
	Start        Point    `json:"start"`
	Ticks        []Motion `json:"ticks"`
}

// Rule is Welcome.movement.
type Rule struct {
	Speed             float64 `json:"speed"`
	Radius            float64 `json:"radius"`
	NormalizeDiagonal bool    `json:"normalize_diagonal"`
}

// Point is a position in world units.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Motion is one tick: the input's axes (as float32 on the wire), then
// where the player is and the velocity it moved with, in world units;
// equal within 1e-6.
type Motion struct {
	DX float32 `json:"dx"`
	DY float32 `json:"dy"`
	X  float64 `json:"x"`
	Y  float64 `json:"y"`
	VX float64 `json:"vx"`
	VY float64 `json:"vy"`
}
