"""The movement rule of Welcome.movement, for predicting one's own player.

docs/protocol.md ("Movement") states it; the server's game.Movement is the
reference. Floating point in double precision, world units.
"""

import math
import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    speed: float
    radius: float
    normalize_diagonal: bool

    @classmethod
    def from_welcome(cls, welcome):
        """The rule a Welcome announces, or None (then nothing to predict)."""
        if not welcome.HasField("movement") or welcome.movement.speed <= 0:
            return None
        m = welcome.movement
        return cls(m.speed, m.radius, m.normalize_diagonal)


def tick_seconds(welcome):
    """The simulated time of one tick: Welcome.tick_period_ns."""
    if welcome.tick_period_ns:
        return welcome.tick_period_ns / 1e9
    return (10**9 // welcome.tick_rate) / 1e9


def float32(v):
    """v as the float32 an Input carries."""
    return struct.unpack("<f", struct.pack("<f", v))[0]


def clamp_axis(v):
    """One input axis as the server reads it: float32, clamped, NaN as 0."""
    f = float32(v)
    if math.isnan(f):
        return 0.0
    return min(max(f, -1.0), 1.0)


def _clamp_move(pos, v, dt, lo, hi):
    nxt = pos + v * dt
    if nxt < lo:
        return lo, 0.0
    if nxt > hi:
        return hi, 0.0
    return nxt, v


def step(rule, x, y, dx, dy, dt, width, height):
    """One tick of a living player under input (dx, dy): (x, y, vx, vy)."""
    dx, dy = clamp_axis(dx), clamp_axis(dy)
    l2 = dx * dx + dy * dy
    if rule.normalize_diagonal and l2 > 1:
        length = math.sqrt(l2)
        dx, dy = dx / length, dy / length
    x, vx = _clamp_move(x, dx * rule.speed, dt, rule.radius, width - rule.radius)
    y, vy = _clamp_move(y, dy * rule.speed, dt, rule.radius, height - rule.radius)
    return x, y, vx, vy


class Predictor:
    """Where our own player will be once the server has applied every input
    we sent: the newest authoritative position, moved one tick per input
    not yet acknowledged (seq > input_ack)."""

    def __init__(self, rule, dt, width, height):
        self.rule, self.dt, self.width, self.height = rule, dt, width, height
        self.pending = []  # (seq, dx, dy), oldest first
        self.position = None

    def sent(self, seq, dx, dy):
        self.pending.append((seq, dx, dy))
        del self.pending[:-128]  # bounded if acknowledgements stop
        if self.position is not None:
            self.position = self._step(self.position, dx, dy)

    def reconcile(self, x, y, alive, input_ack):
        """A snapshot put us at (x, y) (world units) with inputs up to
        input_ack applied."""
        self.pending = [p for p in self.pending if p[0] > input_ack]
        pos = (x, y)
        if alive:
            for _, dx, dy in self.pending:
                pos = self._step(pos, dx, dy)
        self.position = pos

    def _step(self, pos, dx, dy):
        x, y, _, _ = step(self.rule, pos[0], pos[1], dx, dy, self.dt, self.width, self.height)
        return (x, y)
