// Interpolation between snapshots (src/interp.ts, src/clock.ts) and the own
// player's dead reckoning (src/ownplayer.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Interpolator, TickClock, lerpEntity, ownPlayerView } from "../../.test-build/unit.mjs";

const SCALE = 4;

function world(tick, ...ents) {
  return { tick, entities: new Map(ents.map((e) => [e.id, e])) };
}
function ent(id, fields = {}) {
  return { id, kind: 1, x: 0, y: 0, vx: 0, vy: 0, angle: 0, hp: 100, score: 0, ...fields };
}

test("tick clock follows the earliest arrivals and ignores a late one", () => {
  const c = new TickClock(20); // 50 ms per tick
  c.observe(10, 1000); // origin 500
  c.observe(11, 1040); // arrived 10 ms early: origin 490
  assert.equal(c.tickAt(1040), 11);
  c.observe(12, 1300); // 210 ms late: barely moves the estimate
  assert.ok(c.tickAt(1040) > 10.9 && c.tickAt(1040) <= 11);
  c.observe(100, 100000); // far off: the timeline moved, resync
  assert.equal(c.tickAt(100000), 100);
});

test("others are drawn between the two snapshots around now - delay", () => {
  const ip = new Interpolator({ tickRate: 20, positionScale: SCALE, delayMs: 100 });
  // Ticks arrive exactly every 50 ms.
  ip.push(world(1, ent(1, { x: 0, vx: 800 })), 50);
  ip.push(world(2, ent(1, { x: 40, vx: 800 })), 100);
  ip.push(world(3, ent(1, { x: 80, vx: 800 })), 150);
  // At 175 ms we draw 75 ms, i.e. tick 1.5: halfway from x 0 to x 40.
  const [e] = ip.sample(175);
  assert.equal(e.x, 20 / SCALE);
  // Before the buffer: the oldest world; after it: the newest, no guessing.
  assert.equal(ip.sample(0)[0].x, 0);
  assert.equal(ip.sample(10000)[0].x, 80 / SCALE);
});

test("entities appear and vanish with the later snapshot", () => {
  const ip = new Interpolator({ tickRate: 20, positionScale: SCALE, delayMs: 100 });
  ip.push(world(1, ent(1), ent(2)), 50);
  ip.push(world(2, ent(1), ent(3, { x: 12 })), 100);
  const ids = ip.sample(175).map((e) => e.id).sort();
  assert.deepEqual(ids, [1, 3]);
});

test("a jump larger than the velocity allows snaps instead of sliding", () => {
  const a = ent(1, { x: 0, vx: 40 });
  const b = ent(1, { x: 4000, vx: 40 });
  assert.equal(lerpEntity(a, b, 0.5, 0.05, SCALE).x, 1000);
  const respawn = lerpEntity(ent(1, { hp: 0 }), ent(1, { x: 8, hp: 100 }), 0.5, 0.05, SCALE);
  assert.equal(respawn.x, 2);
  const normal = lerpEntity(ent(1, { x: 0, vx: 400 }), ent(1, { x: 20, vx: 400 }), 0.5, 0.05, SCALE);
  assert.equal(normal.x, 2.5);
});

test("angles turn the short way round", () => {
  const e = lerpEntity(ent(1, { angle: 250 }), ent(1, { angle: 2 }), 0.5, 0.05, SCALE);
  // Halfway from 250 to 258 (= 2) is 254, not 126.
  assert.ok(Math.abs(e.angle - (254 / 256) * 2 * Math.PI) < 1e-9, `angle ${e.angle}`);
});

test("own player moves along its velocity for at most one tick", () => {
  const me = ent(1, { x: 400, y: 400, vx: 400, vy: 0 }); // 100 wu/s
  assert.equal(ownPlayerView(me, 1000, 1020, 20, SCALE).x, 102);
  assert.equal(ownPlayerView(me, 1000, 5000, 20, SCALE).x, 105, "capped at 50 ms");
  assert.equal(ownPlayerView({ ...me, hp: 0 }, 1000, 1020, 20, SCALE).x, 100, "dead players stay put");
});
