// Where to draw the player's own entity.
//
// Other entities are drawn ~100 ms in the past (interp.ts); doing that for
// our own would add that delay to every key press. Instead we draw it from
// the newest snapshot, moved forward along its velocity for the time since
// that snapshot arrived (dead reckoning, capped at one tick so a lost or
// late snapshot cannot send us sailing off).
//
// This is the place to add client-side prediction later: replay the inputs
// the server has not acknowledged yet (seq > input_ack) on top of the newest
// snapshot, using the same movement rules as the server.

import { toRenderEntity, type RenderEntity } from "./interp";
import type { Entity } from "./world";

export function ownPlayerView(
  latest: Entity,
  receivedAtMs: number,
  nowMs: number,
  tickRate: number,
  positionScale: number,
): RenderEntity {
  const base = toRenderEntity(latest, positionScale);
  if (latest.hp <= 0) return base; // dead players do not move
  const ageSeconds = Math.min(Math.max(nowMs - receivedAtMs, 0), 1000 / tickRate) / 1000;
  return {
    ...base,
    x: base.x + (latest.vx / positionScale) * ageSeconds,
    y: base.y + (latest.vy / positionScale) * ageSeconds,
  };
}
