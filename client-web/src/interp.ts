// Smooth motion between snapshots: entity interpolation with an adaptive
// render delay.
//
// We draw other entities slightly in the past, between the two snapshots
// that bracket that moment, so that motion stays smooth when a snapshot
// arrives late or not at all. How far in the past adapts to the network:
// two snapshot intervals (enough to bridge one lost snapshot) plus a margin
// of JITTER_FACTOR times the measured inter-arrival jitter. The delay never
// jumps: the render clock runs up to MAX_SLEW faster or slower than real
// time until it reaches the new delay, so motion keeps its speed to within
// that much. When the buffer still runs dry (several snapshots lost in a
// row), entities move on along their velocity for up to EXTRAPOLATE_MS and
// then stop where they are until data arrives.
//
// The player's own entity is not drawn from here: see predict.ts.

import { TickClock } from "./clock";
import { EntityKind } from "./gen/skirmish/v1/skirmish_pb";
import type { WorldSize } from "./movement";
import type { Entity, World } from "./world";

/** The render delay without jitter: two snapshot intervals, so that one
 * lost snapshot still leaves a pair to interpolate between. */
export const BASE_DELAY_TICKS = 2;
/** How many jitters of margin the delay adds on top. */
export const JITTER_FACTOR = 3;
/** The delay never adapts beyond this (unless two intervals are longer). */
export const MAX_DELAY_MS = 250;
/** While adapting, the render clock runs at most this much faster or slower
 * than real time (0.1: between 0.9x and 1.1x). */
export const MAX_SLEW = 0.1;
/** A render-clock error of this many ms is corrected at the full MAX_SLEW;
 * smaller ones proportionally slower. */
const SLEW_FULL_MS = 100;
/** A render clock further than this from where it should be (a stall, a
 * suspended tab) jumps instead of catching up. */
const RESYNC_MS = 500;
/** How long entities move on by their velocity past the newest snapshot. */
export const EXTRAPOLATE_MS = 100;
/** The jitter estimate's gain per arrival (RFC 3550 uses 1/16). */
const JITTER_GAIN = 1 / 16;
/** Arrival-time deviations beyond this are stalls, not jitter. */
const JITTER_OUTLIER_MS = 1000;

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

/**
 * Snapshot inter-arrival jitter, as RFC 3550 measures it for RTP: the
 * running mean of |(arrival_i - arrival_j) - (tick_i - tick_j) * interval|
 * over consecutive snapshots i, j received. Lost snapshots do not count as
 * jitter (the tick difference accounts for them).
 */
export class JitterMeter {
  private readonly tickMs: number;
  private prev: { tick: number; atMs: number } | undefined;
  private jitter = 0;

  constructor(tickRate: number) {
    this.tickMs = 1000 / tickRate;
  }

  /** Current estimate, ms. */
  get jitterMs(): number {
    return this.jitter;
  }

  observe(tick: number, atMs: number): void {
    const prev = this.prev;
    if (prev !== undefined && tick <= prev.tick) return; // a repeat: no spacing to measure
    this.prev = { tick, atMs };
    if (prev === undefined) return;
    const d = Math.abs(atMs - prev.atMs - (tick - prev.tick) * this.tickMs);
    if (d > JITTER_OUTLIER_MS) return;
    this.jitter += (d - this.jitter) * JITTER_GAIN;
  }
}

export interface InterpolatorOptions {
  tickRate: number;
  positionScale: number;
  /** A fixed render delay, ms; adaptive when absent. */
  delayMs?: number;
  /** World size in world units; extrapolation stays inside it. */
  world?: WorldSize;
  /** How far inside the walls players stay (Welcome.movement.radius). */
  playerRadius?: number;
}

export class Interpolator {
  private readonly clock: TickClock;
  private readonly jitter: JitterMeter;
  private readonly tickRate: number;
  private readonly tickMs: number;
  private readonly positionScale: number;
  private readonly fixedDelayMs: number | undefined;
  private readonly world: WorldSize | undefined;
  private readonly playerRadius: number;
  private worlds: World[] = []; // ascending tick
  // The render clock: the fractional tick drawn at local time playAtMs.
  private playTick: number | undefined;
  private playAtMs = 0;

  constructor(opts: InterpolatorOptions) {
    this.tickRate = opts.tickRate;
    this.tickMs = 1000 / opts.tickRate;
    this.positionScale = opts.positionScale;
    this.fixedDelayMs = opts.delayMs;
    this.world = opts.world;
    this.playerRadius = opts.playerRadius ?? 0;
    this.clock = new TickClock(opts.tickRate);
    this.jitter = new JitterMeter(opts.tickRate);
  }

  /** Adds a reconstructed world that arrived at local time `atMs`. */
  push(world: World, atMs: number): void {
    this.clock.observe(world.tick, atMs);
    this.jitter.observe(world.tick, atMs);
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

  /** Measured snapshot inter-arrival jitter, ms. */
  get jitterMs(): number {
    return this.jitter.jitterMs;
  }

  /** The render delay the buffer is adapting towards, ms. */
  get targetDelayMs(): number {
    if (this.fixedDelayMs !== undefined) return this.fixedDelayMs;
    const base = BASE_DELAY_TICKS * this.tickMs;
    return Math.min(base + JITTER_FACTOR * this.jitter.jitterMs, Math.max(MAX_DELAY_MS, base));
  }

  /** The render delay in effect at the latest renderTick/sample, ms: how
   * far behind the newest expected snapshot we draw. */
  get renderDelayMs(): number {
    const now = this.clock.tickAt(this.playAtMs);
    if (this.playTick === undefined || now === undefined) return this.targetDelayMs;
    return (now - this.playTick) * this.tickMs;
  }

  /**
   * The (fractional) tick drawn at local time `nowMs`. It advances the
   * render clock, so call it (or sample) with non-decreasing times, once
   * per frame; an earlier time gets the latest tick again.
   */
  renderTick(nowMs: number): number | undefined {
    const now = this.clock.tickAt(nowMs);
    if (now === undefined) return undefined;
    const target = now - this.targetDelayMs / this.tickMs;
    if (this.playTick === undefined) {
      this.playTick = target;
      this.playAtMs = nowMs;
      return target;
    }
    if (nowMs <= this.playAtMs) return this.playTick;
    const elapsedTicks = (nowMs - this.playAtMs) / this.tickMs;
    const errorMs = (target - (this.playTick + elapsedTicks)) * this.tickMs;
    if (Math.abs(errorMs) > RESYNC_MS) {
      this.playTick = target;
    } else {
      const slew = Math.min(Math.max(errorMs / SLEW_FULL_MS, -1), 1) * MAX_SLEW;
      this.playTick += elapsedTicks * (1 + slew);
    }
    this.playAtMs = nowMs;
    return this.playTick;
  }

  /**
   * Every entity as it should be drawn at local time `nowMs`. Before the
   * buffer it shows the oldest world; past the newest it moves entities on
   * along their velocity for at most EXTRAPOLATE_MS, then holds them.
   */
  sample(nowMs: number): RenderEntity[] {
    const tick = this.renderTick(nowMs);
    const w = this.worlds;
    if (w.length === 0 || tick === undefined) return [];
    if (tick <= w[0].tick) return this.still(w[0]);
    const last = w[w.length - 1];
    if (tick >= last.tick) return this.extrapolate(last, tick - last.tick);
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

  private extrapolate(world: World, ticks: number): RenderEntity[] {
    const seconds = Math.min(ticks / this.tickRate, EXTRAPOLATE_MS / 1000);
    if (seconds <= 0) return this.still(world);
    return Array.from(world.entities.values(), (e) => {
      const r = toRenderEntity(e, this.positionScale);
      if (e.vx === 0 && e.vy === 0) return r;
      return this.inWorld({
        ...r,
        x: r.x + (e.vx / this.positionScale) * seconds,
        y: r.y + (e.vy / this.positionScale) * seconds,
      });
    });
  }

  /** Keeps an extrapolated entity inside the world (players inside the
   * walls), where it could be. */
  private inWorld(e: RenderEntity): RenderEntity {
    if (!this.world) return e;
    const m = e.kind === EntityKind.PLAYER ? this.playerRadius : 0;
    return {
      ...e,
      x: Math.min(Math.max(e.x, m), this.world.width - m),
      y: Math.min(Math.max(e.y, m), this.world.height - m),
    };
  }
}
