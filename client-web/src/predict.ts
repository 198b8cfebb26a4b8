// Client-side prediction of our own player, with reconciliation.
//
// Other entities are drawn in the past (interp.ts); drawing ourselves that
// way would delay every key press by a round trip plus the render delay.
// Instead we draw where we will be once the server has applied everything
// we sent:
//
//   authoritative position (newest snapshot, inputs up to input_ack applied)
//   + one tick of movement per input sent but not acknowledged (seq > ack)
//   + the controls held right now, for the time since the last input was
//     sent (at most a tick), so that a key press moves us on the very next
//     frame, before any input carrying it has even left
//
// using the room's movement rule from Welcome (movement.ts). Every snapshot replaces
// the authoritative position and drops the inputs it acknowledges; where the
// replay disagrees with what we drew (the server merged two inputs into one
// tick, a wall, a hit), the difference is kept as an offset that fades out
// over CORRECTION_MS, so small corrections glide instead of snapping. Large
// ones (respawn, teleport) snap.
//
// Pure: no DOM, no clock; times are passed in (performance.now() ms).

import {
  clampToWorld,
  stepPlayer,
  tickSeconds,
  type Move,
  type MovementRule,
  type Position,
  type WorldSize,
} from "./movement";

/** An input we sent: its seq and movement. */
export interface SentInput {
  readonly seq: number;
  readonly dx: number;
  readonly dy: number;
}

/** Time constant of the exponential fade of corrections, ms. */
export const CORRECTION_MS = 100;
/** A disagreement larger than this (world units) is a teleport: snap. */
export const SNAP_DISTANCE = 100;
/** Offsets below this (world units) count as zero, so a resting player's
 * drawn position is exactly constant. */
const OFFSET_EPSILON = 0.01;
/** Unacknowledged inputs kept at most; a server that stops acknowledging
 * (about 4 s at 30 Hz) should not make the replay grow without bound. */
export const MAX_PENDING = 128;

export interface PredictorConfig {
  tickRate: number;
  /** Welcome.tick_period_ns; derived from tickRate when absent or 0. */
  tickPeriodNs?: number;
  world: WorldSize;
  /** Welcome.movement. */
  rule: MovementRule;
}

export class Predictor {
  private readonly tickS: number;
  private readonly world: WorldSize;
  private readonly rule: MovementRule;
  private pending: SentInput[] = [];
  /** Authoritative position and whether we are alive, from the newest
   * snapshot; null before the first. */
  private auth: { pos: Position; alive: boolean } | null = null;
  /** auth moved by every pending input: where the server will have us. */
  private replayed: Position | null = null;
  private lastSentAtMs: number | undefined;
  private offset = { x: 0, y: 0 };
  private offsetAtMs = 0;
  private ack = 0;

  constructor(config: PredictorConfig) {
    this.tickS = tickSeconds(config.tickRate, config.tickPeriodNs);
    this.world = config.world;
    this.rule = config.rule;
  }

  /** Inputs sent and not yet acknowledged, oldest first. */
  get unacknowledged(): readonly SentInput[] {
    return this.pending;
  }

  /** The newest input_ack seen. */
  get inputAck(): number {
    return this.ack;
  }

  /** Records an input sent at local time atMs. */
  sent(input: SentInput, atMs: number): void {
    this.pending.push(input);
    if (this.pending.length > MAX_PENDING) this.pending.shift();
    this.lastSentAtMs = atMs;
    if (this.replayed && this.auth?.alive) {
      this.replayed = this.step(this.replayed, input, this.tickS);
    }
  }

  /**
   * A snapshot arrived at atMs: `pos` is our authoritative position in
   * world units, `alive` whether we can move (hp > 0), `inputAck` the
   * highest seq the server has applied.
   */
  reconcile(pos: Position, alive: boolean, inputAck: number, atMs: number): void {
    if (inputAck > this.ack) this.ack = inputAck;
    // Acknowledged inputs are in the authoritative position already.
    let drop = 0;
    while (drop < this.pending.length && this.pending[drop].seq <= this.ack) drop++;
    if (drop > 0) this.pending = this.pending.slice(drop);

    const before = this.replayed !== null && this.auth?.alive ? this.withOffset(this.replayed, atMs) : null;
    this.auth = { pos, alive };
    if (!alive) {
      // The dead do not move; nothing to predict or smooth.
      this.replayed = pos;
      this.offset = { x: 0, y: 0 };
      return;
    }
    let p = pos;
    for (const input of this.pending) p = this.step(p, input, this.tickS);
    this.replayed = p;
    if (before === null) {
      this.offset = { x: 0, y: 0 };
      return;
    }
    // Keep drawing where we were; fade the difference out from now on.
    const ox = before.x - p.x;
    const oy = before.y - p.y;
    this.offset = Math.hypot(ox, oy) > SNAP_DISTANCE ? { x: 0, y: 0 } : { x: ox, y: oy };
    this.offsetAtMs = atMs;
  }

  /**
   * Where to draw our player at local time nowMs while `held` are the
   * controls held right now; null before the first snapshot.
   */
  view(nowMs: number, held: Move): Position | null {
    if (!this.auth || !this.replayed) return null;
    if (!this.auth.alive) return this.auth.pos;
    let p = this.replayed;
    if (this.lastSentAtMs !== undefined) {
      const partialS = Math.min(Math.max(nowMs - this.lastSentAtMs, 0) / 1000, this.tickS);
      if (partialS > 0) p = this.step(p, held, partialS);
    }
    return clampToWorld(this.withOffset(p, nowMs), this.world, this.rule.radius);
  }

  private step(p: Position, move: Move, dt: number): Position {
    const m = stepPlayer(p, move, dt, this.world, this.rule);
    return { x: m.x, y: m.y };
  }

  /** The correction still to fade out at nowMs, world units. */
  correction(nowMs: number): Position {
    const k = Math.exp(-Math.max(nowMs - this.offsetAtMs, 0) / CORRECTION_MS);
    const x = this.offset.x * k;
    const y = this.offset.y * k;
    return Math.hypot(x, y) < OFFSET_EPSILON ? { x: 0, y: 0 } : { x, y };
  }

  private withOffset(p: Position, nowMs: number): Position {
    const o = this.correction(nowMs);
    return o.x === 0 && o.y === 0 ? p : { x: p.x + o.x, y: p.y + o.y };
  }
}
