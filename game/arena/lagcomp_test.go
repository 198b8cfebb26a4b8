package arena

import (
	"math"
	"testing"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// maxRewindAt60Hz is maxRewind in 60 Hz ticks.
const maxRewindAt60Hz = maxRewindMillis * 60 / 1000

func TestRewindTicks(t *testing.T) {
	tests := []struct {
		name     string
		now, ack uint32
		dt       float64
		want     uint32
	}{
		{"no snapshot yet", 100, 0, tick, 0},
		{"ack of the present", 100, 100, tick, 0},
		{"ack from the future", 100, 150, tick, 0},
		{"one tick behind", 100, 99, tick, 1},
		{"within the cap", 100, 95, tick, 5},
		{"at the cap", 100, 100 - maxRewindAt60Hz, tick, maxRewindAt60Hz},
		{"beyond the cap", 100, 1, tick, maxRewindAt60Hz},
		{"30 Hz cap", 100, 1, 1.0 / 30, 6},
		{"20 Hz cap", 100, 1, 1.0 / 20, 4},
		{"max tick rate cap", 100, 1, 1.0 / game.MaxTickRate, poseHistory - 1},
		// 200 ms is less than one tick: rounding down keeps the rewind
		// within maxRewind, so there is none.
		{"ticks longer than the cap", 100, 99, 0.25, 0},
		{"7 Hz rounds down", 100, 1, 1.0 / 7, 1},
		// Far faster than any room: the trail is the limit, and the
		// division must not overflow.
		{"tiny dt", 100, 1, 1e-300, poseHistory - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rewindTicks(tt.now, tt.ack, tt.dt); got != tt.want {
				t.Errorf("rewindTicks(%d, %d, %v) = %d, want %d", tt.now, tt.ack, tt.dt, got, tt.want)
			}
		})
	}
}

func TestPoseHistoryCoversMaxTickRate(t *testing.T) {
	// The trail must hold the present and maxRewind before it at the
	// fastest room.
	if need := 1 + int(math.Ceil(maxRewind*game.MaxTickRate)); poseHistory < need {
		t.Errorf("poseHistory = %d, want at least %d", poseHistory, need)
	}
}

// The dodge: a shooter at dodgeShooter fires, in the Step of tick
// dodgeFireTick at 60 Hz, at a standing target that dashes sideways every
// so often. Up to maxRewind ticks before the shot it stood at dodgeOld; for
// the maxRewind ticks before the shot, dodgeSeen; from the tick of the shot
// on, dodgeNow. A lag of maxRewind ticks shows the shooter dodgeSeen.
//
// The points are 40 units ahead of the shooter and 60 apart, so a shot aimed
// at one passes the others at least 33 units away (hit radius 25), and a
// shot reaches dodgeSeen within 2 ticks, long before the rewound target
// dashes to dodgeNow. (A player running at full speed could not make these
// dashes: it moves 44 units in 200 ms and would walk into a shot aimed where
// it was going. The test moves it directly to keep the geometry clear.)
var (
	dodgeShooter = pose{400, 500}
	dodgeOld     = pose{440, 440}
	dodgeSeen    = pose{440, 500}
	dodgeNow     = pose{440, 560}
)

const dodgeFireTick = 40

// dodgeAt is where the dodging target is in tick k.
func dodgeAt(k uint32) pose {
	switch {
	case k >= dodgeFireTick:
		return dodgeNow
	case k >= dodgeFireTick-maxRewindAt60Hz:
		return dodgeSeen
	}
	return dodgeOld
}

// dodge plays the dodge with a shot aimed at aim by a shooter whose input
// acknowledged tick ack. It returns the shot's rewind and whether it hit.
func dodge(t *testing.T, aim pose, ack uint32) (rewind uint32, hit bool) {
	t.Helper()
	w := newTestWorld(t)
	shooter := addAt(t, w, dodgeShooter.x, dodgeShooter.y)
	target := addAt(t, w, dodgeOld.x, dodgeOld.y)
	p := mustPlayer(t, w, target)
	place := func() { // before each Step, which records the pose
		at := dodgeAt(w.tick + 1)
		p.x, p.y = at.x, at.y
	}
	for range dodgeFireTick - 1 {
		place()
		w.Step(tick)
	}
	place()
	a := float32(math.Atan2(aim.y-dodgeShooter.y, aim.x-dodgeShooter.x))
	w.ApplyInput(shooter, wire.Input{Seq: 1, Aim: a, Buttons: wire.ButtonFire, AckTick: ack})
	w.Step(tick)
	if w.tick != dodgeFireTick || len(w.projectiles) != 1 {
		t.Fatalf("tick %d: %d projectiles, want 1 fired in tick %d", w.tick, len(w.projectiles), dodgeFireTick)
	}
	rewind = w.projectiles[0].rewind
	w.ApplyInput(shooter, wire.Input{Seq: 2, Aim: a, AckTick: ack})
	for range int(2 / tick) {
		if len(w.projectiles) == 0 {
			break
		}
		place()
		w.Step(tick)
	}
	if len(w.projectiles) != 0 {
		t.Fatal("projectile still flying after 2 s")
	}
	return rewind, p.hp < maxHP
}

func TestLagCompensationDodge(t *testing.T) {
	seen := uint32(dodgeFireTick - maxRewindAt60Hz) // the tick the shooter saw dodgeSeen in
	tests := []struct {
		name       string
		aim        pose
		ack        uint32
		wantRewind uint32
		wantHit    bool
	}{
		// The point of lag compensation: where the shooter saw it.
		{"aimed where seen, compensated", dodgeSeen, seen, maxRewindAt60Hz, true},
		// Without it, the target has dashed off the line of fire.
		{"aimed where seen, ack 0 (no rewind)", dodgeSeen, 0, 0, false},
		{"aimed where seen, ack from the future", dodgeSeen, dodgeFireTick + 5, 0, false},
		// A shorter lag, still before the dash to dodgeNow.
		{"aimed where seen, small lag", dodgeSeen, dodgeFireTick - 5, 5, true},
		// The shooter could not have seen the target where it is now.
		{"aimed at the present, large rewind", dodgeNow, seen, maxRewindAt60Hz, false},
		{"aimed at the present, ack 0", dodgeNow, 0, 0, true},
		// A 500 ms lag is judged 200 ms back: the target is where it was
		// then, not where the shooter saw it.
		{"huge lag aimed where seen 500 ms ago", dodgeOld, dodgeFireTick - 30, maxRewindAt60Hz, false},
		{"huge lag aimed where it was 200 ms ago", dodgeSeen, dodgeFireTick - 30, maxRewindAt60Hz, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rewind, hit := dodge(t, tt.aim, tt.ack)
			if rewind != tt.wantRewind || hit != tt.wantHit {
				t.Errorf("AckTick %d: rewind %d, hit %v; want rewind %d, hit %v",
					tt.ack, rewind, hit, tt.wantRewind, tt.wantHit)
			}
		})
	}
}

// TestLagCompensationStrafingTarget has a target walk sideways at half speed
// while a shooter 200 ms behind fires at where its screen shows the target.
func TestLagCompensationStrafingTarget(t *testing.T) {
	const fireTick = 30
	for _, compensated := range []bool{true, false} {
		w := newTestWorld(t)
		shooter := addAt(t, w, 400, 500)
		target := addAt(t, w, 460, 470)
		p := mustPlayer(t, w, target)
		w.ApplyInput(target, wire.Input{Seq: 1, DY: 0.5})
		ys := make([]float64, fireTick) // ys[k]: the target's y in tick k
		for k := 1; k < fireTick; k++ {
			w.Step(tick)
			ys[k] = p.y
		}
		ack := uint32(fireTick - maxRewindAt60Hz)
		aim := float32(math.Atan2(ys[ack]-500, 460-400))
		in := wire.Input{Seq: 1, Aim: aim, Buttons: wire.ButtonFire}
		if compensated {
			in.AckTick = ack
		}
		w.ApplyInput(shooter, in)
		w.Step(tick)
		in.Seq, in.Buttons = 2, 0
		w.ApplyInput(shooter, in)
		steps(w, 60, tick)
		// Compensated, the shot passes 11 units from the walking target;
		// judged against the present, 33: a miss by 8.
		if hit := p.hp < maxHP; hit != compensated {
			t.Errorf("compensated %v: hit %v, want %v", compensated, hit, compensated)
		}
	}
}

// TestLagCompensationLife checks that a shot judged in the past hits only a
// target that was alive and in the game then and still is. A shooter at
// (400, 500) fires to the right in tick lifeFireTick, lagging maxRewind,
// through the target's spot at (440, 500) at a bystander at (520, 500): a
// shot that does not hit the target hits the bystander instead.
func TestLagCompensationLife(t *testing.T) {
	const lifeFireTick = 200 // room for a whole death and respawn before the shot
	add := func(t *testing.T, w *world) uint32 { return addAt(t, w, 440, 500) }
	tests := []struct {
		name string
		// script runs before the Step of each tick k up to the shot's, and
		// once more right after the shot's, as k = lifeFireTick+1.
		script func(t *testing.T, w *world, k uint32, target *uint32)
		want   bool // the target is hit, not the bystander
	}{
		{"alive then and now", func(t *testing.T, w *world, k uint32, target *uint32) {
			if k == 1 {
				*target = add(t, w)
			}
		}, true},
		{"dead then, alive now", func(t *testing.T, w *world, k uint32, target *uint32) {
			switch k {
			case 1:
				*target = add(t, w)
			case lifeFireTick - 3 - (respawnDelay/tick - 1):
				// Dead for the ticks the shot sees; back 3 ticks before
				// it is fired.
				mustPlayer(t, w, *target).kill()
			}
		}, false},
		{"joined since", func(t *testing.T, w *world, k uint32, target *uint32) {
			if k == lifeFireTick-3 {
				*target = add(t, w)
			}
		}, false},
		{"died since", func(t *testing.T, w *world, k uint32, target *uint32) {
			switch k {
			case 1:
				*target = add(t, w)
			case lifeFireTick + 1:
				mustPlayer(t, w, *target).kill()
			}
		}, false},
		{"left since", func(t *testing.T, w *world, k uint32, target *uint32) {
			switch k {
			case 1:
				*target = add(t, w)
			case lifeFireTick + 1:
				w.RemovePlayer(*target)
			}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWorld(t)
			shooter := addAt(t, w, 400, 500)
			bystander := addAt(t, w, 520, 500)
			var target uint32
			for k := uint32(1); k <= lifeFireTick+1; k++ {
				tt.script(t, w, k, &target)
				if k > lifeFireTick {
					break
				}
				if p := w.findPlayer(target); p != nil && p.alive() {
					p.x, p.y = 440, 500 // wherever it respawned
				}
				if k == lifeFireTick {
					w.ApplyInput(shooter, wire.Input{Seq: 1, Buttons: wire.ButtonFire, AckTick: k - maxRewindAt60Hz})
				}
				w.Step(tick)
			}
			w.ApplyInput(shooter, wire.Input{Seq: 2})
			steps(w, 60, tick)

			targetHit := false
			if p := w.findPlayer(target); p != nil {
				targetHit = p.hp == maxHP-projectileDamage
			}
			bystanderHit := mustPlayer(t, w, bystander).hp < maxHP
			if targetHit != tt.want || bystanderHit == tt.want {
				t.Errorf("target hit %v, bystander hit %v; want %v and %v", targetHit, bystanderHit, tt.want, !tt.want)
			}
		})
	}
}
