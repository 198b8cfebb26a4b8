"""Reconstructing the world from Snapshot messages, bit-exactly.

Values stay in wire units (world units times Welcome.position_scale) and
in 32-bit integer arithmetic, as the server computes them: a delta is the
difference from dead reckoning of the baseline, and only the same integer
rules give the same world. wire.ApplySnapshot (Go) is the reference.
"""

from dataclasses import dataclass, replace


class SnapshotError(Exception):
    """A snapshot that cannot be applied: drop it and do not acknowledge it."""


def i32(v):
    """v wrapped to a signed 32-bit integer, as the server's int32 arithmetic."""
    return ((v + 0x80000000) & 0xFFFFFFFF) - 0x80000000


def div_round(a, b):
    """a / b rounded to the nearest integer, halves up: floor((2a + b) / 2b)."""
    return (2 * a + b) // (2 * b)


@dataclass(frozen=True)
class Entity:
    id: int
    kind: int = 0
    x: int = 0
    y: int = 0
    vx: int = 0
    vy: int = 0
    angle: int = 0
    hp: int = 0
    score: int = 0


VALUE_COLUMNS = ("kind", "x", "y", "vx", "vy", "angle", "hp", "score")

# How many reconstructed ticks are kept as possible baselines: the server
# keeps 32, and bases deltas only on acknowledged ticks.
HISTORY_TICKS = 64


def predict(e, ticks, tick_rate):
    """The baseline entity e moved by dead reckoning over `ticks` ticks."""
    if ticks == 0 or (e.vx == 0 and e.vy == 0):
        return e
    return replace(
        e,
        x=i32(e.x + i32(div_round(e.vx * ticks, tick_rate))),
        y=i32(e.y + i32(div_round(e.vy * ticks, tick_rate))),
    )


def decode_ids(gaps):
    """The absolute ids of the gap-coded id column; they must ascend."""
    ids, last = [], 0
    for i, gap in enumerate(gaps):
        nxt = (last + gap) & 0xFFFFFFFF
        if i > 0 and nxt <= last:
            raise SnapshotError("ids do not ascend at index %d" % i)
        ids.append(nxt)
        last = nxt
    return ids


def apply_snapshot(snap, base, tick_rate):
    """The world (a dict id -> Entity) that snap describes.

    base is the world of snap.base_tick, which the caller reconstructed
    since the latest Welcome (ignored for a full snapshot).
    """
    ids = decode_ids(snap.id)
    for col in VALUE_COLUMNS:
        n = len(getattr(snap, col))
        if n not in (0, len(ids)):
            raise SnapshotError("tick %d: column %s has %d values for %d ids" % (snap.tick, col, n, len(ids)))
    full = snap.base_tick == 0
    if not full and snap.base_tick >= snap.tick:
        raise SnapshotError("tick %d: baseline %d is not older" % (snap.tick, snap.base_tick))
    world = {}
    ticks = snap.tick - snap.base_tick
    if not full:
        removed = list(snap.removed)
        if any(b <= a for a, b in zip(removed, removed[1:])):
            raise SnapshotError("tick %d: removed ids do not ascend" % snap.tick)
        gone = set(removed)
        if gone.intersection(ids):
            raise SnapshotError("tick %d: an id is both listed and removed" % snap.tick)
        for eid, e in base.items():
            if eid not in gone:
                world[eid] = predict(e, ticks, tick_rate)
    columns = {col: list(getattr(snap, col)) for col in VALUE_COLUMNS}
    for i, eid in enumerate(ids):
        # Listed values are (actual - predicted); an entity absent from
        # the baseline is predicted as all zero.
        old = world.get(eid, Entity(eid)) if not full else Entity(eid)
        values = {col: i32(getattr(old, col) + (columns[col][i] if columns[col] else 0)) for col in VALUE_COLUMNS}
        world[eid] = Entity(eid, **values)
    return dict(sorted(world.items()))


class SnapshotHistory:
    """The worlds reconstructed since the latest Welcome (one membership).

    Every Welcome starts a new history: make a new one.
    """

    def __init__(self, tick_rate):
        self.tick_rate = tick_rate
        self.worlds = {}
        self.newest = 0

    def apply(self, snap):
        """Reconstructs snap, remembers it, and returns its world."""
        base = None
        if snap.base_tick != 0:
            base = self.worlds.get(snap.base_tick)
            if base is None:
                raise SnapshotError(
                    "tick %d: baseline %d was not reconstructed since the latest Welcome" % (snap.tick, snap.base_tick)
                )
        world = apply_snapshot(snap, base, self.tick_rate)
        self.worlds[snap.tick] = world
        while len(self.worlds) > HISTORY_TICKS:
            del self.worlds[min(self.worlds)]
        self.newest = max(self.newest, snap.tick)
        return world

    @property
    def ack_tick(self):
        """What Input.ack_tick reports: the newest tick reconstructed."""
        return self.newest
