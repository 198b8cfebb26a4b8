package baseline

import (
	"fmt"
	"math/rand/v2"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// The baseline server's snapshot: a valid ServerMessage{snapshot} whose
// size matches a real movers snapshot, rebuilt cheaply each tick (only the
// tick changes).

// baselineTickBase starts the baseline's ticks where the tick varint is 4
// bytes long and stays so for years, so that every frame has the same size.
const baselineTickBase = 1 << 21

// padField is the unknown Snapshot field that pads to an exact size; every
// protobuf decoder skips it.
const padField protowire.Number = 2047

// syntheticSnapshot is a full movers-like snapshot of players players: ids,
// kinds, positions over a 1000×1000 world, velocities, angles, hp.
func syntheticSnapshot(players int, seed uint64) *skirmishv1.Snapshot {
	rng := rand.New(rand.NewPCG(seed, 7))
	s := &skirmishv1.Snapshot{}
	const scale, world, speed = 4, 1000, 200
	for range players {
		s.Id = append(s.Id, 1) // ids 1, 2, 3, ... gap-coded
		s.Kind = append(s.Kind, int32(skirmishv1.EntityKind_ENTITY_KIND_PLAYER))
		s.X = append(s.X, int32(rng.IntN(world*scale)))
		s.Y = append(s.Y, int32(rng.IntN(world*scale)))
		s.Vx = append(s.Vx, int32(rng.IntN(2*speed*scale+1)-speed*scale))
		s.Vy = append(s.Vy, int32(rng.IntN(2*speed*scale+1)-speed*scale))
		s.Angle = append(s.Angle, int32(rng.IntN(256)))
		s.Hp = append(s.Hp, 100)
	}
	return s
}

// ComputedSnapshotBytes is the payload size a bot sees for a full
// synthetic snapshot of players players, input_ack included: the baseline's
// default when no real snapshot size was measured.
func ComputedSnapshotBytes(players int) int {
	cols, err := proto.Marshal(syntheticSnapshot(players, 1))
	if err != nil {
		panic(fmt.Sprintf("baseline: marshal synthetic snapshot: %v", err))
	}
	inner := tickFieldLen + len(cols)
	return 1 + protowire.SizeVarint(uint64(inner)) + inner + wire.InputAckSize
}

// tickFieldLen is the snapshot's tick field: tag + 4-byte varint (see
// baselineTickBase).
const tickFieldLen = 5

// baselineColumns returns the encoded Snapshot fields other than tick, for
// up to players entities, padded so that the payload a bot receives
// (ServerMessage with input_ack) is exactly total bytes when total > 0.
func baselineColumns(players, total int) ([]byte, error) {
	full := syntheticSnapshot(players, 1)
	if total <= 0 {
		return proto.Marshal(full)
	}
	// Bytes available for the columns (C) in: 1 + varint(5+C) + 5+C + 5.
	c := -1
	for vl := 1; vl <= 4; vl++ {
		if cand := total - wire.InputAckSize - 1 - vl - tickFieldLen; cand >= 0 && protowire.SizeVarint(uint64(tickFieldLen+cand)) == vl {
			c = cand
			break
		}
	}
	if c < 0 {
		return nil, fmt.Errorf("baseline snapshot: %d bytes is too small", total)
	}
	// As many entities as fit while leaving room for the padding field
	// (at least 3 bytes) or fitting exactly.
	for n := players; n >= 0; n-- {
		s := &skirmishv1.Snapshot{}
		if n > 0 {
			s = proto.Clone(full).(*skirmishv1.Snapshot)
			truncateSnapshot(s, n)
		}
		cols, err := proto.Marshal(s)
		if err != nil {
			return nil, fmt.Errorf("baseline snapshot: %w", err)
		}
		need := c - len(cols)
		if need == 0 {
			return cols, nil
		}
		if pad, ok := padding(need); ok {
			return append(cols, pad...), nil
		}
	}
	return nil, fmt.Errorf("baseline snapshot: cannot pad to %d bytes", total)
}

func truncateSnapshot(s *skirmishv1.Snapshot, n int) {
	s.Id, s.Kind, s.X, s.Y = s.Id[:n], s.Kind[:n], s.X[:n], s.Y[:n]
	s.Vx, s.Vy, s.Angle, s.Hp = s.Vx[:n], s.Vy[:n], s.Angle[:n], s.Hp[:n]
}

// padding is an unknown length-delimited field of exactly size bytes.
func padding(size int) ([]byte, bool) {
	tag := protowire.SizeTag(padField)
	for vl := 1; vl <= 4; vl++ {
		l := size - tag - vl
		if l >= 0 && protowire.SizeVarint(uint64(l)) == vl {
			b := protowire.AppendTag(nil, padField, protowire.BytesType)
			b = protowire.AppendVarint(b, uint64(l))
			return append(b, make([]byte, l)...), true
		}
	}
	return nil, false
}

// appendBaselineSnapshot appends ServerMessage{snapshot{tick, columns}}
// (without input_ack).
func appendBaselineSnapshot(dst []byte, tick uint32, columns []byte) []byte {
	inner := protowire.SizeTag(wire.FieldSnapTick) + protowire.SizeVarint(uint64(tick)) + len(columns)
	dst = protowire.AppendTag(dst, wire.FieldServerSnapshot, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(inner))
	dst = protowire.AppendTag(dst, wire.FieldSnapTick, protowire.VarintType)
	dst = protowire.AppendVarint(dst, uint64(tick))
	return append(dst, columns...)
}
