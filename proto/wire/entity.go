package wire

// PositionScale is how many snapshot position units make one world unit
// (Welcome.position_scale). Positions and velocities travel as integers so
// that they pack into small varints.
const PositionScale = 4

// AngleSteps is how many steps make a full turn in snapshot angles.
const AngleSteps = 256

// Entity is one object of the world as snapshots carry it: quantized,
// flat, comparable. Game modes produce them; the snapshot encoder encodes
// them and ApplySnapshot reconstructs them.
type Entity struct {
	ID    uint32
	Kind  int32 // skirmishv1.EntityKind
	X, Y  int32 // world units × PositionScale
	VX    int32 // world units × PositionScale per second
	VY    int32
	Angle int32 // 1/AngleSteps of a turn, in [0, AngleSteps)
	HP    int32
	Score int32
}

// Entity kinds, equal to the values of skirmishv1.EntityKind.
const (
	KindPlayer     int32 = 1
	KindProjectile int32 = 2
	KindPickup     int32 = 3
)
