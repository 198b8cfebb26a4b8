package wire

import (
	"google.golang.org/protobuf/encoding/protowire"
)

// DefaultTickRate is the tick rate dead reckoning assumes when an encoder
// is given none.
const DefaultTickRate = 30

// column is one per-entity column of a snapshot: its field number and how
// to read its value from an entity.
type column struct {
	field protowire.Number
	get   func(*Entity) int32
}

// columns lists the sint32 columns in field order, after the id column.
var columns = [...]column{
	{FieldSnapKind, func(e *Entity) int32 { return e.Kind }},
	{FieldSnapX, func(e *Entity) int32 { return e.X }},
	{FieldSnapY, func(e *Entity) int32 { return e.Y }},
	{FieldSnapVX, func(e *Entity) int32 { return e.VX }},
	{FieldSnapVY, func(e *Entity) int32 { return e.VY }},
	{FieldSnapAngle, func(e *Entity) int32 { return e.Angle }},
	{FieldSnapHP, func(e *Entity) int32 { return e.HP }},
	{FieldSnapScore, func(e *Entity) int32 { return e.Score }},
}

// change is one entity listed in a snapshot: its state now and in the
// baseline (zero when it is new).
type change struct {
	cur, old Entity
}

// SnapshotEncoder encodes ServerMessage{snapshot} messages by hand: a
// snapshot is built every tick of every room, and appending into reused
// buffers costs no allocation where proto.Marshal of a message tree would.
// It is not safe for concurrent use.
type SnapshotEncoder struct {
	// TickRate is the room's ticks per second, used for dead reckoning in
	// deltas; DefaultTickRate when 0.
	TickRate int

	changes []change
	removed []uint32
	body    []byte
	col     []byte
}

// Encode appends to dst the ServerMessage carrying the snapshot of cur at
// tick. With baseTick 0 it is a full snapshot; otherwise it is a delta
// against base, the entities of baseTick. Both slices are in ascending id
// order.
func (e *SnapshotEncoder) Encode(dst []byte, tick, baseTick uint32, base, cur []Entity) []byte {
	if baseTick == 0 {
		base = nil
	}
	e.diff(base, cur, tick-baseTick)

	b := e.body[:0]
	b = protowire.AppendTag(b, FieldSnapTick, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(tick))
	if baseTick != 0 {
		b = protowire.AppendTag(b, FieldSnapBaseTick, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(baseTick))
	}
	if len(e.changes) > 0 {
		col := e.col[:0]
		var prev uint32
		for i := range e.changes {
			id := e.changes[i].cur.ID
			col = protowire.AppendVarint(col, uint64(id-prev))
			prev = id
		}
		b = appendPacked(b, FieldSnapID, col)
	}
	for _, c := range columns {
		col := e.col[:0]
		nonzero := false
		for i := range e.changes {
			ch := &e.changes[i]
			d := c.get(&ch.cur) - c.get(&ch.old)
			nonzero = nonzero || d != 0
			col = protowire.AppendVarint(col, protowire.EncodeZigZag(int64(d)))
		}
		e.col = col
		if nonzero {
			b = appendPacked(b, c.field, col)
		}
	}
	if len(e.removed) > 0 {
		col := e.col[:0]
		for _, id := range e.removed {
			col = protowire.AppendVarint(col, uint64(id))
		}
		e.col = col
		b = appendPacked(b, FieldSnapRemoved, col)
	}
	e.body = b

	dst = protowire.AppendTag(dst, FieldServerSnapshot, protowire.BytesType)
	return protowire.AppendBytes(dst, b)
}

// diff fills e.changes with the entities of cur that differ from their
// prediction from base (ticks ticks earlier) and e.removed with the ids of
// base that are not in cur.
func (e *SnapshotEncoder) diff(base, cur []Entity, ticks uint32) {
	rate := e.TickRate
	if rate <= 0 {
		rate = DefaultTickRate
	}
	e.changes = e.changes[:0]
	e.removed = e.removed[:0]
	i, j := 0, 0
	for i < len(base) || j < len(cur) {
		switch {
		case j == len(cur) || (i < len(base) && base[i].ID < cur[j].ID):
			e.removed = append(e.removed, base[i].ID)
			i++
		case i == len(base) || cur[j].ID < base[i].ID:
			e.changes = append(e.changes, change{cur: cur[j]})
			j++
		default:
			if old := Predict(base[i], ticks, rate); old != cur[j] {
				e.changes = append(e.changes, change{cur: cur[j], old: old})
			}
			i++
			j++
		}
	}
}

func appendPacked(b []byte, field protowire.Number, packed []byte) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendBytes(b, packed)
}

// AppendInputAck appends the ServerMessage.input_ack field: the
// per-receiver suffix of a snapshot message. It is always InputAckSize
// bytes long.
func AppendInputAck(dst []byte, seq uint32) []byte {
	dst = protowire.AppendTag(dst, FieldServerInputAck, protowire.Fixed32Type)
	return protowire.AppendFixed32(dst, seq)
}

// InputAckSize is the encoded size of the input_ack field.
const InputAckSize = 5
