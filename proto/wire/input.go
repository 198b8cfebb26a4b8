package wire

import (
	"errors"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Input is one decoded client input (skirmish.v1.Input).
type Input struct {
	Seq     uint32
	DX, DY  float32 // the room clamps them to [-1, 1], NaN to 0
	Aim     float32 // radians
	Buttons uint32
	AckTick uint32
}

// ButtonFire is the fire bit of Input.Buttons (skirmishv1.Button_BUTTON_FIRE).
const ButtonFire = 1

// ErrNotInput is returned by DecodeInput for anything but a plain lone
// input; such messages take the reference path (proto.Unmarshal).
var ErrNotInput = errors.New("not a lone input message")

// DecodeInput decodes a ClientMessage that holds only an Input, which is
// what clients send every tick, without allocating. Anything else, including
// unknown fields and unusual but valid encodings, returns ErrNotInput:
// proto.Unmarshal is the reference, and the fuzz test checks that both
// agree whenever DecodeInput accepts.
func DecodeInput(b []byte) (Input, error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 || num != FieldClientInput || typ != protowire.BytesType {
		return Input{}, ErrNotInput
	}
	body, m := protowire.ConsumeBytes(b[n:])
	if m < 0 || n+m != len(b) {
		return Input{}, ErrNotInput
	}
	var in Input
	for len(body) > 0 {
		num, typ, n := protowire.ConsumeTag(body)
		if n < 0 {
			return Input{}, ErrNotInput
		}
		body = body[n:]
		switch {
		case typ == protowire.VarintType && (num == FieldInputSeq || num == FieldInputButtons || num == FieldInputAckTick):
			v, n := protowire.ConsumeVarint(body)
			if n < 0 {
				return Input{}, ErrNotInput
			}
			body = body[n:]
			switch num {
			case FieldInputSeq:
				in.Seq = uint32(v)
			case FieldInputButtons:
				in.Buttons = uint32(v)
			default:
				in.AckTick = uint32(v)
			}
		case typ == protowire.Fixed32Type && (num == FieldInputDX || num == FieldInputDY || num == FieldInputAim):
			v, n := protowire.ConsumeFixed32(body)
			if n < 0 {
				return Input{}, ErrNotInput
			}
			body = body[n:]
			f := math.Float32frombits(v)
			switch num {
			case FieldInputDX:
				in.DX = f
			case FieldInputDY:
				in.DY = f
			default:
				in.Aim = f
			}
		default:
			return Input{}, ErrNotInput
		}
	}
	return in, nil
}
