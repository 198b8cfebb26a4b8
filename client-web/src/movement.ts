// The movement rule of the room's mode, for predicting our own player.
//
// Welcome carries it (Welcome.movement and Welcome.tick_period_ns; the
// rule is stated in docs/protocol.md, "Movement"), so nothing here is a
// copy of the server's numbers. Pure: prediction (predict.ts), the
// interpolator and the unit tests share it.

import type { Welcome } from "./gen/skirmish/v1/skirmish_pb";

/** Where a player is, in world units. */
export interface Position {
  readonly x: number;
  readonly y: number;
}

/** A position with the velocity it moved with, world units (per second). */
export interface Motion extends Position {
  readonly vx: number;
  readonly vy: number;
}

/** Movement controls as an Input carries them. */
export interface Move {
  readonly dx: number;
  readonly dy: number;
}

export interface WorldSize {
  readonly width: number;
  readonly height: number;
}

/** Welcome.movement: how the mode moves a player. */
export interface MovementRule {
  /** World units per second at full input. */
  readonly speed: number;
  /** The player's centre stays this far from every wall. */
  readonly radius: number;
  /** Directions longer than 1 are scaled to length 1. */
  readonly normalizeDiagonal: boolean;
}

/** The room's rule from its Welcome; null when the mode announces none
 * (then there is nothing to predict with). */
export function movementOf(w: Pick<Welcome, "movement">): MovementRule | null {
  const m = w.movement;
  if (!m || !(m.speed > 0)) return null;
  return { speed: m.speed, radius: m.radius, normalizeDiagonal: m.normalizeDiagonal };
}

/**
 * The seconds one server tick simulates: Welcome.tick_period_ns. A server
 * that does not send it steps by 1e9 / tick_rate whole nanoseconds, which
 * for 30 Hz is 0.033333333 s rather than 1/30.
 */
export function tickSeconds(tickRate: number, tickPeriodNs = 0): number {
  if (tickPeriodNs > 0) return tickPeriodNs / 1e9;
  return Math.floor(1e9 / tickRate) / 1e9;
}

/** One input axis as the server reads it: float32 on the wire, clamped to
 * [-1, 1], NaN as 0. */
export function clampAxis(v: number): number {
  const f = Math.fround(v);
  if (Number.isNaN(f)) return 0;
  return Math.min(Math.max(f, -1), 1);
}

/**
 * Moves a living player by `move` for `dt` seconds by the rule: the axes
 * clamped, the direction normalized if the rule says so and it is longer
 * than 1, the velocity that times the speed, and each axis stopped (its
 * velocity zeroed) at the wall, `radius` inside the world's edge.
 */
export function stepPlayer(p: Position, move: Move, dt: number, world: WorldSize, rule: MovementRule): Motion {
  let dx = clampAxis(move.dx);
  let dy = clampAxis(move.dy);
  const l2 = dx * dx + dy * dy;
  if (rule.normalizeDiagonal && l2 > 1) {
    const l = Math.sqrt(l2);
    dx /= l;
    dy /= l;
  }
  const [x, vx] = clampMove(p.x, dx * rule.speed, dt, rule.radius, world.width - rule.radius);
  const [y, vy] = clampMove(p.y, dy * rule.speed, dt, rule.radius, world.height - rule.radius);
  return { x, y, vx, vy };
}

function clampMove(pos: number, v: number, dt: number, lo: number, hi: number): [number, number] {
  const next = pos + v * dt;
  if (next < lo) return [lo, 0];
  if (next > hi) return [hi, 0];
  return [next, v];
}

/** Keeps a player's centre inside the walls. */
export function clampToWorld(p: Position, world: WorldSize, radius: number): Position {
  return {
    x: Math.min(Math.max(p.x, radius), world.width - radius),
    y: Math.min(Math.max(p.y, radius), world.height - radius),
  };
}
