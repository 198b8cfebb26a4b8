package wire

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// ErrBadMessage wraps every error of the scanners.
var ErrBadMessage = errors.New("malformed ServerMessage")

// ServerScan is what a client's hot path needs from a ServerMessage.
type ServerScan struct {
	Kind   protowire.Number // field number of the oneof member, 0 if none
	Tick   uint32           // Snapshot.tick, for snapshots
	Base   uint32           // Snapshot.base_tick (0: a full snapshot)
	Ack    uint32           // input_ack
	HasAck bool
	Body   []byte // the encoded oneof member (aliases the input)
}

// ScanServerMessage reads the oneof member, the snapshot tick and the
// input_ack of an encoded ServerMessage without decoding the snapshot's
// columns: a load bot needs nothing else from 30 snapshots a second. Other
// messages are rare; decode Body with the generated code.
func ScanServerMessage(p []byte) (s ServerScan, err error) {
	for len(p) > 0 {
		num, typ, n := protowire.ConsumeTag(p)
		if n < 0 {
			return s, fmt.Errorf("%w: %v", ErrBadMessage, protowire.ParseError(n))
		}
		p = p[n:]
		switch {
		case num == FieldServerInputAck && typ == protowire.Fixed32Type:
			v, m := protowire.ConsumeFixed32(p)
			if m < 0 {
				return s, fmt.Errorf("%w: input_ack: %v", ErrBadMessage, protowire.ParseError(m))
			}
			s.Ack, s.HasAck = v, true
			p = p[m:]
		case typ == protowire.BytesType && num >= FieldServerHello && num <= FieldServerRosterUpdate:
			v, m := protowire.ConsumeBytes(p)
			if m < 0 {
				return s, fmt.Errorf("%w: field %d: %v", ErrBadMessage, num, protowire.ParseError(m))
			}
			s.Kind, s.Body = num, v
			if num == FieldServerSnapshot {
				if s.Tick, s.Base, err = scanSnapshotTick(v); err != nil {
					return s, err
				}
			}
			p = p[m:]
		default:
			m := protowire.ConsumeFieldValue(num, typ, p)
			if m < 0 {
				return s, fmt.Errorf("%w: field %d: %v", ErrBadMessage, num, protowire.ParseError(m))
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
			return 0, 0, fmt.Errorf("%w: snapshot: %v", ErrBadMessage, protowire.ParseError(n))
		}
		p = p[n:]
		if (num == FieldSnapTick || num == FieldSnapBaseTick) && typ == protowire.VarintType {
			v, m := protowire.ConsumeVarint(p)
			if m < 0 {
				return 0, 0, fmt.Errorf("%w: snapshot tick: %v", ErrBadMessage, protowire.ParseError(m))
			}
			if num == FieldSnapTick {
				tick = uint32(v)
			} else {
				base = uint32(v)
			}
			p = p[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, p)
		if m < 0 {
			return 0, 0, fmt.Errorf("%w: snapshot field %d: %v", ErrBadMessage, num, protowire.ParseError(m))
		}
		p = p[m:]
	}
	return tick, base, nil
}

// SnapshotColumns is what ScanSnapshotColumns reads from an encoded
// Snapshot. Its slices are reused from call to call.
type SnapshotColumns struct {
	Tick, Base uint32
	IDs        []uint32 // absolute ids (the id column is gap-coded), ascending
	Score      []int32  // the score column, empty when all zero
	Removed    []uint32
}

// ScanSnapshotColumns decodes tick, base_tick, the ids, the score column
// and the removed ids of an encoded Snapshot (ServerScan.Body), skipping
// the other columns. Repeated fields are read packed or not, as any
// protobuf parser must.
func ScanSnapshotColumns(p []byte, c *SnapshotColumns) error {
	c.Tick, c.Base = 0, 0
	c.IDs, c.Score, c.Removed = c.IDs[:0], c.Score[:0], c.Removed[:0]
	var idSum uint32
	for len(p) > 0 {
		num, typ, n := protowire.ConsumeTag(p)
		if n < 0 {
			return fmt.Errorf("%w: snapshot: %v", ErrBadMessage, protowire.ParseError(n))
		}
		p = p[n:]
		var err error
		switch {
		case num == FieldSnapTick && typ == protowire.VarintType:
			var v uint64
			v, n = protowire.ConsumeVarint(p)
			c.Tick = uint32(v)
		case num == FieldSnapBaseTick && typ == protowire.VarintType:
			var v uint64
			v, n = protowire.ConsumeVarint(p)
			c.Base = uint32(v)
		case num == FieldSnapID:
			n, err = consumeRepeatedVarint(p, typ, func(v uint64) {
				idSum += uint32(v)
				c.IDs = append(c.IDs, idSum)
			})
		case num == FieldSnapScore:
			n, err = consumeRepeatedVarint(p, typ, func(v uint64) {
				c.Score = append(c.Score, int32(protowire.DecodeZigZag(v)))
			})
		case num == FieldSnapRemoved:
			n, err = consumeRepeatedVarint(p, typ, func(v uint64) {
				c.Removed = append(c.Removed, uint32(v))
			})
		default:
			n = protowire.ConsumeFieldValue(num, typ, p)
		}
		if err != nil {
			return err
		}
		if n < 0 {
			return fmt.Errorf("%w: snapshot field %d: %v", ErrBadMessage, num, protowire.ParseError(n))
		}
		p = p[n:]
	}
	if len(c.Score) != 0 && len(c.Score) != len(c.IDs) {
		return fmt.Errorf("%w: snapshot %d: %d scores for %d ids", ErrBadMessage, c.Tick, len(c.Score), len(c.IDs))
	}
	return nil
}

// consumeRepeatedVarint reads one occurrence of a repeated varint field,
// packed (bytes) or not (one varint), calling fn for each value.
func consumeRepeatedVarint(p []byte, typ protowire.Type, fn func(uint64)) (int, error) {
	switch typ {
	case protowire.VarintType:
		v, n := protowire.ConsumeVarint(p)
		if n >= 0 {
			fn(v)
		}
		return n, nil
	case protowire.BytesType:
		b, n := protowire.ConsumeBytes(p)
		if n < 0 {
			return n, nil
		}
		for len(b) > 0 {
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return 0, fmt.Errorf("%w: packed column: %v", ErrBadMessage, protowire.ParseError(m))
			}
			fn(v)
			b = b[m:]
		}
		return n, nil
	}
	return 0, fmt.Errorf("%w: repeated varint field with wire type %d", ErrBadMessage, typ)
}
