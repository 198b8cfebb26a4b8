// Reconstructing the world from Snapshot messages.
//
// This module is pure (no DOM, no clock) so that node tests can drive it.
// Values stay in wire units here — positions are world units times
// Welcome.position_scale, angles are 1/256 turns — because delta snapshots
// must be applied with the exact integer arithmetic the server used.
// Conversion to world units happens when drawing or exporting state.
//
// Delta snapshots use dead reckoning (see the Snapshot comment in
// skirmish.proto; wire.Predict and wire.ApplySnapshot in proto/wire are
// the Go reference): every baseline entity is first moved along its velocity over
// the ticks between baseline and snapshot, with integer rounding the server
// reproduces exactly, and the delta carries only the differences from that
// prediction.

import type { Snapshot } from "./gen/skirmish/v1/skirmish_pb";

/**
 * The columns of a Snapshot. The generated Snapshot type satisfies it; tests
 * build plain objects of this shape.
 */
export type SnapshotColumns = Pick<
  Snapshot,
  "tick" | "baseTick" | "id" | "kind" | "x" | "y" | "vx" | "vy" | "angle" | "hp" | "score" | "removed"
>;

/** One entity as the server last described it, in wire units. */
export interface Entity {
  readonly id: number;
  readonly kind: number;
  readonly x: number;
  readonly y: number;
  readonly vx: number;
  readonly vy: number;
  readonly angle: number;
  readonly hp: number;
  readonly score: number;
}

/**
 * The world at one server tick. Worlds are never mutated once built: a
 * delta builds a new map from the baseline's, so consecutive worlds share
 * the Entity objects that neither moved nor changed.
 */
export interface World {
  readonly tick: number;
  readonly entities: ReadonlyMap<number, Entity>;
}

/** Value columns, in the order of the .proto. `id` and `removed` are not values. */
const VALUE_COLUMNS = ["kind", "x", "y", "vx", "vy", "angle", "hp", "score"] as const;
type ValueColumn = (typeof VALUE_COLUMNS)[number];

/**
 * How many reconstructed ticks are kept as possible delta baselines. The
 * server only bases deltas on ticks we acknowledged, which are at most a
 * round trip old; 64 ticks is over 2 s even at 30 Hz.
 */
export const HISTORY_TICKS = 64;

/** A snapshot that cannot be applied; the caller drops it and carries on. */
export class SnapshotError extends Error {
  override name = "SnapshotError";
}

/** Below this magnitude products and sums of integers are exact doubles with
 * room to spare; beyond it (never in practice) we switch to BigInt. */
const EXACT_LIMIT = 2 ** 50;

/**
 * a/b rounded to the nearest integer, halves up: floor((2a + b) / (2b)) for
 * integers a and b > 0. This is the protocol's div_round.
 */
export function divRound(a: number, b: number): number {
  const n = 2 * a + b;
  const d = 2 * b;
  if (Math.abs(n) < EXACT_LIMIT && d < EXACT_LIMIT) {
    // Float division may round a quotient just below an integer up to it;
    // the remainder check repairs that (n, q*d and r are all exact here).
    let q = Math.floor(n / d);
    const r = n - q * d;
    if (r < 0) q--;
    else if (r >= d) q++;
    return q;
  }
  return Number(divRoundBig(BigInt(a), BigInt(b)));
}

function divRoundBig(a: bigint, b: bigint): bigint {
  const n = 2n * a + b;
  const d = 2n * b;
  // BigInt division truncates towards zero; the rule floors.
  let q = n / d;
  if (n % d !== 0n && n < 0n) q--;
  return q;
}

/** pos + div_round(v * ticks, tickRate), wrapped to int32 like the server's
 * `int32` arithmetic. */
function reckonAxis(pos: number, v: number, ticks: number, tickRate: number): number {
  if (v === 0) return pos;
  if (Math.abs(v) * ticks < EXACT_LIMIT) {
    return (pos + (divRound(v * ticks, tickRate) | 0)) | 0;
  }
  const q = divRoundBig(BigInt(v) * BigInt(ticks), BigInt(tickRate));
  return (pos + Number(BigInt.asIntN(32, q))) | 0;
}

/**
 * A baseline entity moved by dead reckoning over `ticks` ticks at
 * `tickRate`: x += div_round(vx * ticks, tickRate), likewise y; every other
 * value stays. It is what a delta snapshot's values are relative to.
 */
export function predictEntity(e: Entity, ticks: number, tickRate: number): Entity {
  if ((e.vx === 0 && e.vy === 0) || ticks === 0) return e;
  return {
    ...e,
    x: reckonAxis(e.x, e.vx, ticks, tickRate),
    y: reckonAxis(e.y, e.vy, ticks, tickRate),
  };
}

/** Turns the gap-coded id column into absolute ids, checking they ascend. */
export function decodeIds(gaps: readonly number[]): number[] {
  const ids = new Array<number>(gaps.length);
  let id = 0;
  for (let i = 0; i < gaps.length; i++) {
    if (i > 0 && gaps[i] === 0) {
      throw new SnapshotError(`snapshot lists id ${id} twice (index ${i})`);
    }
    // uint32 arithmetic, like the server's; a gap that wraps past 2^32
    // would make the ids descend.
    const next = (id + gaps[i]) >>> 0;
    if (i > 0 && next < id) {
      throw new SnapshotError(`snapshot ids do not ascend at index ${i}`);
    }
    id = next;
    ids[i] = id;
  }
  return ids;
}

/**
 * Keeps the last HISTORY_TICKS reconstructed worlds and builds the next one
 * from each incoming snapshot, full or delta. One history serves one room:
 * its tick rate (Welcome.tick_rate) drives the dead reckoning of deltas.
 */
export class SnapshotHistory {
  // Insertion order is arrival order, which makes eviction a matter of
  // deleting the first key.
  private readonly worlds = new Map<number, World>();
  private newestWorld: World | undefined;

  constructor(readonly tickRate: number) {}

  /**
   * Reconstructs the world a snapshot describes and remembers it as a
   * possible baseline. Throws SnapshotError (and remembers nothing) if the
   * snapshot is malformed or its baseline is no longer known.
   */
  apply(snap: SnapshotColumns): World {
    const ids = decodeIds(snap.id);
    for (const col of VALUE_COLUMNS) {
      const n = snap[col].length;
      if (n !== 0 && n !== ids.length) {
        throw new SnapshotError(`tick ${snap.tick}: column ${col} has ${n} values for ${ids.length} ids`);
      }
    }
    let world: World;
    if (snap.baseTick === 0) {
      world = applyFull(snap, ids);
    } else {
      if (snap.baseTick >= snap.tick) {
        throw new SnapshotError(`tick ${snap.tick}: baseline ${snap.baseTick} is not older`);
      }
      if (!Number.isInteger(this.tickRate) || this.tickRate <= 0) {
        throw new SnapshotError(`tick ${snap.tick}: cannot apply a delta at tick rate ${this.tickRate}`);
      }
      const base = this.worlds.get(snap.baseTick);
      if (base === undefined) {
        throw new SnapshotError(
          `tick ${snap.tick}: delta against tick ${snap.baseTick}, which is not among the last ${HISTORY_TICKS} ticks`,
        );
      }
      world = applyDelta(base, snap, ids, this.tickRate);
    }
    this.remember(world);
    return world;
  }

  /** The reconstructed world of a tick, if still kept. */
  get(tick: number): World | undefined {
    return this.worlds.get(tick);
  }

  /**
   * The world with the highest tick reconstructed so far. Its tick is what
   * Input.ack_tick reports: the server may base deltas on it, so we only
   * ever acknowledge ticks we actually reconstructed.
   */
  get newest(): World | undefined {
    return this.newestWorld;
  }

  /** Forgets everything (a new room starts a new tick sequence). */
  clear(): void {
    this.worlds.clear();
    this.newestWorld = undefined;
  }

  private remember(world: World): void {
    this.worlds.delete(world.tick); // re-insert at the end if repeated
    this.worlds.set(world.tick, world);
    while (this.worlds.size > HISTORY_TICKS) {
      const oldest = this.worlds.keys().next().value as number;
      this.worlds.delete(oldest);
    }
    if (this.newestWorld === undefined || world.tick >= this.newestWorld.tick) {
      this.newestWorld = world;
    }
  }
}

/** Value i of a column; an empty column means "all zero". */
function at(snap: SnapshotColumns, col: ValueColumn, i: number): number {
  const values = snap[col];
  return values.length === 0 ? 0 : values[i];
}

function applyFull(snap: SnapshotColumns, ids: readonly number[]): World {
  const entities = new Map<number, Entity>();
  for (let i = 0; i < ids.length; i++) {
    entities.set(ids[i], {
      id: ids[i],
      kind: at(snap, "kind", i),
      x: at(snap, "x", i),
      y: at(snap, "y", i),
      vx: at(snap, "vx", i),
      vy: at(snap, "vy", i),
      angle: at(snap, "angle", i),
      hp: at(snap, "hp", i),
      score: at(snap, "score", i),
    });
  }
  // `removed` only has meaning in deltas; a full snapshot is the whole truth.
  return { tick: snap.tick, entities };
}

function applyDelta(base: World, snap: SnapshotColumns, ids: readonly number[], tickRate: number): World {
  const ticks = snap.tick - snap.baseTick;
  // Every baseline entity first moves by dead reckoning; unlisted ones stay
  // exactly there.
  const entities = new Map<number, Entity>();
  for (const [id, e] of base.entities) {
    entities.set(id, predictEntity(e, ticks, tickRate));
  }
  // Removed ids ascend strictly and are never listed too (the Go
  // reference, wire.ApplySnapshot, refuses the same); ids the baseline
  // does not hold are ignored.
  let r = 0;
  for (let i = 0; i < snap.removed.length; i++) {
    const id = snap.removed[i];
    if (i > 0 && id <= snap.removed[i - 1]) {
      throw new SnapshotError(`tick ${snap.tick}: removed ids do not ascend at index ${i}`);
    }
    entities.delete(id);
  }
  for (const id of ids) {
    while (r < snap.removed.length && snap.removed[r] < id) r++;
    if (r < snap.removed.length && snap.removed[r] === id) {
      throw new SnapshotError(`tick ${snap.tick}: id ${id} is both listed and removed`);
    }
  }
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    // Listed values are (actual - predicted); an entity absent from the
    // baseline is predicted as all zero.
    const b = base.entities.get(id);
    const old = b === undefined ? zeroEntity(id) : predictEntity(b, ticks, tickRate);
    // `| 0` wraps like the server's int32 arithmetic, so a delta computed
    // with overflow still lands on the right value.
    entities.set(id, {
      id,
      kind: (old.kind + at(snap, "kind", i)) | 0,
      x: (old.x + at(snap, "x", i)) | 0,
      y: (old.y + at(snap, "y", i)) | 0,
      vx: (old.vx + at(snap, "vx", i)) | 0,
      vy: (old.vy + at(snap, "vy", i)) | 0,
      angle: (old.angle + at(snap, "angle", i)) | 0,
      hp: (old.hp + at(snap, "hp", i)) | 0,
      score: (old.score + at(snap, "score", i)) | 0,
    });
  }
  return { tick: snap.tick, entities };
}

function zeroEntity(id: number): Entity {
  return { id, kind: 0, x: 0, y: 0, vx: 0, vy: 0, angle: 0, hp: 0, score: 0 };
}
