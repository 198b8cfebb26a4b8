// Reconstructing the world from Snapshot messages.
//
// This module is pure (no DOM, no clock) so that node tests can drive it.
// Values stay in wire units here — positions are world units times
// Welcome.position_scale, angles are 1/256 turns — because delta snapshots
// must be applied with the exact integer arithmetic the server used.
// Conversion to world units happens when drawing or exporting state.

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
 * delta copies the baseline's map and replaces only the entities it touches,
 * so consecutive worlds share unchanged Entity objects.
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

/** Turns the gap-coded id column into absolute ids, checking they ascend. */
export function decodeIds(gaps: readonly number[]): number[] {
  const ids = new Array<number>(gaps.length);
  let id = 0;
  for (let i = 0; i < gaps.length; i++) {
    if (i > 0 && gaps[i] === 0) {
      throw new SnapshotError(`snapshot lists id ${id} twice (index ${i})`);
    }
    // uint32 arithmetic, like the server's.
    id = (id + gaps[i]) >>> 0;
    ids[i] = id;
  }
  return ids;
}

/**
 * Keeps the last HISTORY_TICKS reconstructed worlds and builds the next one
 * from each incoming snapshot, full or delta.
 */
export class SnapshotHistory {
  // Insertion order is arrival order, which makes eviction a matter of
  // deleting the first key.
  private readonly worlds = new Map<number, World>();
  private newestWorld: World | undefined;

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
      const base = this.worlds.get(snap.baseTick);
      if (base === undefined) {
        throw new SnapshotError(
          `tick ${snap.tick}: delta against tick ${snap.baseTick}, which is not among the last ${HISTORY_TICKS} ticks`,
        );
      }
      world = applyDelta(base, snap, ids);
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

function applyDelta(base: World, snap: SnapshotColumns, ids: readonly number[]): World {
  const entities = new Map(base.entities);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    const old = base.entities.get(id) ?? zeroEntity(id);
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
  // Removals last: the contract does not say what an id both listed and
  // removed means, and "gone" is the safer reading of a contradiction.
  for (const id of snap.removed) {
    entities.delete(id);
  }
  return { tick: snap.tick, entities };
}

function zeroEntity(id: number): Entity {
  return { id, kind: 0, x: 0, y: 0, vx: 0, vy: 0, angle: 0, hp: 0, score: 0 };
}
