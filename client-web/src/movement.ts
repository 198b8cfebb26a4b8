// The arena's movement rules, for predicting our own player.
//
// The protocol does not carry movement rules, so these mirror the server's
// (game/arena/rules.go and game/arena/movement.go); update them together.
// Pure: prediction (predict.ts) and the unit tests share it.

/** Player speed at full input, world units per second (playerSpeed). */
export const PLAYER_SPEED = 220;
/** Player radius, world units: the centre stays this far from the walls
 * (playerRadius). */
export const PLAYER_RADIUS = 20;

/** Where a player is, in world units. */
export interface Position {
  readonly x: number;
  readonly y: number;
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

/**
 * The seconds one server tick simulates. The server steps by its tick
 * period as a Go time.Duration (whole nanoseconds), which for 30 Hz is
 * 0.033333333 s rather than 1/30; we copy that.
 */
export function tickSeconds(tickRate: number): number {
  return Math.floor(1e9 / tickRate) / 1e9;
}

/** One input axis as the server reads it: float32 on the wire, clamped to
 * [-1, 1], NaN as 0 (game.ClampAxis). */
export function clampAxis(v: number): number {
  const f = Math.fround(v);
  if (Number.isNaN(f)) return 0;
  return Math.min(Math.max(f, -1), 1);
}

/**
 * Moves a living player by `move` for `dt` seconds, as the server's
 * movePlayers does: the direction is normalized if longer than 1, the
 * velocity is that times PLAYER_SPEED, and each axis stops at the wall
 * (PLAYER_RADIUS from the world's edge).
 */
export function stepPlayer(p: Position, move: Move, dt: number, world: WorldSize): Position {
  let dx = clampAxis(move.dx);
  let dy = clampAxis(move.dy);
  const l2 = dx * dx + dy * dy;
  if (l2 > 1) {
    const l = Math.sqrt(l2);
    dx /= l;
    dy /= l;
  }
  return {
    x: clampMove(p.x, dx * PLAYER_SPEED, dt, PLAYER_RADIUS, world.width - PLAYER_RADIUS),
    y: clampMove(p.y, dy * PLAYER_SPEED, dt, PLAYER_RADIUS, world.height - PLAYER_RADIUS),
  };
}

function clampMove(pos: number, v: number, dt: number, lo: number, hi: number): number {
  return Math.min(Math.max(pos + v * dt, lo), hi);
}

/** Keeps a player's centre inside the walls. */
export function clampToWorld(p: Position, world: WorldSize): Position {
  return {
    x: Math.min(Math.max(p.x, PLAYER_RADIUS), world.width - PLAYER_RADIUS),
    y: Math.min(Math.max(p.y, PLAYER_RADIUS), world.height - PLAYER_RADIUS),
  };
}
