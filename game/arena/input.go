package arena

import (
	"math"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// ApplyInput makes in the player's controls until a newer input replaces
// them. Inputs with a lower Seq than the stored one arrived late and are
// ignored; an equal Seq is a resend and replaces. Dead players' inputs are
// kept too, so they aim and fire as soon as they respawn. The input's
// AckTick decides how far back the player's next shots are judged.
func (w *world) ApplyInput(id uint32, in wire.Input) {
	p := w.findPlayer(id)
	if p == nil || in.Seq < p.seq {
		return
	}
	p.seq = in.Seq
	// The room clamps too, but a NaN here would poison positions for good.
	p.dx = float64(game.ClampAxis(in.DX))
	p.dy = float64(game.ClampAxis(in.DY))
	// Reduce the aim so that QuantizeAngle never converts a huge float to
	// int32; a NaN or infinite aim keeps the previous one.
	if aim := math.Remainder(float64(in.Aim), 2*math.Pi); !math.IsNaN(aim) {
		p.aim = aim
	}
	p.firing = in.Buttons&wire.ButtonFire != 0
	p.fireTapped = p.fireTapped || p.firing
	p.ackTick = in.AckTick
}
