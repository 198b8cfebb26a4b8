package server

import (
	"errors"
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/skirmishgg/skirmish/game"
)

// Field numbers of skirmish.v1.ClientMessage and skirmish.v1.Input, for the
// input fast path.
const (
	fieldClientInput = 3

	fieldInputSeq     = 1
	fieldInputDX      = 2
	fieldInputDY      = 3
	fieldInputAim     = 4
	fieldInputButtons = 5
	fieldInputAckTick = 6
)

var errNotInput = errors.New("not a lone input message")

// decodeInput decodes a ClientMessage that holds only an input, which is
// what clients send every tick, without allocating. Anything else returns
// errNotInput and goes through proto.Unmarshal, which is the reference:
// the fuzz test checks that both agree.
func decodeInput(b []byte) (game.Input, error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 || num != fieldClientInput || typ != protowire.BytesType {
		return game.Input{}, errNotInput
	}
	body, m := protowire.ConsumeBytes(b[n:])
	if m < 0 || n+m != len(b) {
		return game.Input{}, errNotInput
	}
	var in game.Input
	for len(body) > 0 {
		num, typ, n := protowire.ConsumeTag(body)
		if n < 0 {
			return game.Input{}, errNotInput
		}
		body = body[n:]
		switch {
		case typ == protowire.VarintType && (num == fieldInputSeq || num == fieldInputButtons || num == fieldInputAckTick):
			v, n := protowire.ConsumeVarint(body)
			if n < 0 {
				return game.Input{}, errNotInput
			}
			body = body[n:]
			switch num {
			case fieldInputSeq:
				in.Seq = uint32(v)
			case fieldInputButtons:
				in.Buttons = uint32(v)
			default:
				in.AckTick = uint32(v)
			}
		case typ == protowire.Fixed32Type && (num == fieldInputDX || num == fieldInputDY || num == fieldInputAim):
			v, n := protowire.ConsumeFixed32(body)
			if n < 0 {
				return game.Input{}, errNotInput
			}
			body = body[n:]
			f := math.Float32frombits(v)
			switch num {
			case fieldInputDX:
				in.DX = f
			case fieldInputDY:
				in.DY = f
			default:
				in.Aim = f
			}
		default:
			// Unknown fields and unusual encodings (packed, wrong wire
			// type) take the reference path.
			return game.Input{}, errNotInput
		}
	}
	return in, nil
}
