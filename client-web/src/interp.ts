// Smooth motion between snapshots: entity interpolation with a render delay.
//
// We draw other entities slightly in the past (DEFAULT_DELAY_MS), between
// the two snapshots that bracket that moment, so that motion stays smooth
// when a snapshot arrives late. The player's own entity is not drawn from
// here: see ownplayer.ts, where client-side prediction belongs.

import { TickClock } from "./clock";
import type { Entity, World } from "./world";

/** How far in the past other entities are drawn. About two ticks at 20 Hz,
 * enough to ride out ordinary jitter without feeling laggy. */
export const DEFAULT_DELAY_MS = 100;

/** Worlds kept for interpolation; needs to cover the delay plus jitter. */
const BUFFERED_WORLDS = 32;

/** Wire angles are 1/ANGLE_STEPS of a turn. */
export const ANGLE_STEPS = 256;

/** An entity ready to draw: world units, radians. */
export interface RenderEntity {
  readonly id: number;
  readonly kind: number;
  readonly x: number;
  readonly y: number;
  /** Facing in radians, 0 along +x, towards +y. */
  readonly angle: number;
  readonly hp: number;
  readonly score: number;
}

/** Converts an entity from wire units to world units. */
export function toRenderEntity(e: Entity, positionScale: number): RenderEntity {
  return {
    id: e.id,
    kind: e.kind,
    x: e.x / positionScale,
    y: e.y / positionScale,
    angle: (e.angle / ANGLE_STEPS) * 2 * Math.PI,
    hp: e.hp,
    score: e.score,
  };
}

/**
 * Interpolates one entity between two snapshots `dt` seconds apart, at
 * fraction t in [0, 1]. Discrete values (hp, score, kind) come from b.
 */
export function lerpEntity(a: Entity, b: Entity, t: number, dt: number, positionScale: number): RenderEntity {
  if (teleported(a, b, dt)) {
    return toRenderEntity(b, positionScale);
  }
  // Shortest way round, so 250 -> 2 turns through 0, not backwards.
  const dAngle = ((((b.angle - a.angle) % ANGLE_STEPS) + ANGLE_STEPS * 1.5) % ANGLE_STEPS) - ANGLE_STEPS / 2;
  return {
    id: b.id,
    kind: b.kind,
    x: (a.x + (b.x - a.x) * t) / positionScale,
    y: (a.y + (b.y - a.y) * t) / positionScale,
    angle: ((a.angle + dAngle * t) / ANGLE_STEPS) * 2 * Math.PI,
    hp: b.hp,
    score: b.score,
  };
}

/**
 * Whether b is not where a could have moved to in dt seconds: a respawn or
 * any other jump. Sliding across the map would look wrong, so we snap.
 */
function teleported(a: Entity, b: Entity, dt: number): boolean {
  if (a.hp === 0 && b.hp > 0 && a.kind === b.kind) {
    return true; // a dead player came back: respawned somewhere else
  }
  const speed = Math.max(Math.hypot(a.vx, a.vy), Math.hypot(b.vx, b.vy));
  // Generous slack (twice the distance, plus 8 wire units for rounding) so
  // acceleration never counts as a jump. All in wire units.
  const reach = speed * dt * 2 + 8;
  return Math.hypot(b.x - a.x, b.y - a.y) > reach;
}

export class Interpolator {
  private readonly clock: TickClock;
  private readonly tickRate: number;
  private readonly positionScale: number;
  private readonly delayMs: number;
  private worlds: World[] = []; // ascending tick

  constructor(opts: { tickRate: number; positionScale: number; delayMs?: number }) {
    this.tickRate = opts.tickRate;
    this.positionScale = opts.positionScale;
    this.delayMs = opts.delayMs ?? DEFAULT_DELAY_MS;
    this.clock = new TickClock(opts.tickRate);
  }

  /** Adds a reconstructed world that arrived at local time `atMs`. */
  push(world: World, atMs: number): void {
    this.clock.observe(world.tick, atMs);
    const w = this.worlds;
    let i = w.length;
    while (i > 0 && w[i - 1].tick >= world.tick) i--;
    if (i < w.length && w[i].tick === world.tick) {
      w[i] = world;
    } else {
      w.splice(i, 0, world);
    }
    if (w.length > BUFFERED_WORLDS) w.splice(0, w.length - BUFFERED_WORLDS);
  }

  /** The (fractional) tick drawn at local time `nowMs`. */
  renderTick(nowMs: number): number | undefined {
    return this.clock.tickAt(nowMs - this.delayMs);
  }

  /**
   * Every entity as it should be drawn at local time `nowMs`. Before the
   * buffer it shows the oldest world; past the newest it holds the newest
   * (no extrapolation: guessing wrong looks worse than pausing).
   */
  sample(nowMs: number): RenderEntity[] {
    const w = this.worlds;
    const tick = this.renderTick(nowMs);
    if (w.length === 0 || tick === undefined) return [];
    if (tick <= w[0].tick) return this.still(w[0]);
    const last = w[w.length - 1];
    if (tick >= last.tick) return this.still(last);
    let i = w.length - 2;
    while (w[i].tick > tick) i--;
    const a = w[i];
    const b = w[i + 1];
    const t = (tick - a.tick) / (b.tick - a.tick);
    const dt = (b.tick - a.tick) / this.tickRate;
    const out: RenderEntity[] = [];
    // Entities come from b: ones removed by b are gone, ones new in b are
    // shown where b has them.
    for (const eb of b.entities.values()) {
      const ea = a.entities.get(eb.id);
      out.push(ea === undefined ? toRenderEntity(eb, this.positionScale) : lerpEntity(ea, eb, t, dt, this.positionScale));
    }
    return out;
  }

  private still(world: World): RenderEntity[] {
    return Array.from(world.entities.values(), (e) => toRenderEntity(e, this.positionScale));
  }
}
