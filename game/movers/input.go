package movers

import (
	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// ApplyInput makes in the player's input until a newer one replaces it.
// Inputs with a lower Seq than the stored one arrived late and are ignored;
// an equal Seq is a resend and replaces. Only DX and DY matter in movers.
func (w *world) ApplyInput(id uint32, in wire.Input) {
	p := w.find(id)
	if p == nil || in.Seq < p.seq {
		return
	}
	p.seq = in.Seq
	// The room clamps too, but the benchmark rules must not depend on it.
	p.dx = game.ClampAxis(in.DX)
	p.dy = game.ClampAxis(in.DY)
}
