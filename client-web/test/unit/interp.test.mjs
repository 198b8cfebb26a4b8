// Interpolation between snapshots and the adaptive render delay
// (src/interp.ts, src/clock.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BASE_DELAY_TICKS,
  EXTRAPOLATE_MS,
  Interpolator,
  JITTER_FACTOR,
  JitterMeter,
  MAX_SLEW,
  TickClock,
  lerpEntity,
} from "../../.test-build/unit.mjs";

const SCALE = 4;

function world(tick, ...ents) {
  return { tick, entities: new Map(ents.map((e) => [e.id, e])) };
}
function ent(id, fields = {}) {
  return { id, kind: 1, x: 0, y: 0, vx: 0, vy: 0, angle: 0, hp: 100, score: 0, ...fields };
}

/** A deterministic PRNG for loss and jitter patterns. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
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
  assert.equal(ip.renderDelayMs, 100);
  // 25 ms later, half a tick on: tick 2.
  assert.equal(ip.sample(200)[0].x, 40 / SCALE);
});

test("before the buffer: the oldest world", () => {
  const ip = new Interpolator({ tickRate: 20, positionScale: SCALE, delayMs: 100 });
  ip.push(world(5, ent(1, { x: 40 })), 250);
  assert.equal(ip.sample(260)[0].x, 40 / SCALE); // draws tick 3.2
});

test("entities appear and vanish with the later snapshot", () => {
  const ip = new Interpolator({ tickRate: 20, positionScale: SCALE, delayMs: 100 });
  ip.push(world(1, ent(1), ent(2)), 50);
  ip.push(world(2, ent(1), ent(3, { x: 12 })), 100);
  const ids = ip.sample(175).map((e) => e.id).sort();
  assert.deepEqual(ids, [1, 3]);
});

test("a dry buffer extrapolates along the velocity briefly, then holds, inside the world", () => {
  const ip = new Interpolator({ tickRate: 20, positionScale: SCALE, delayMs: 100, world: { width: 200, height: 100 }, playerRadius: 20 });
  // 100 world units per second to the right; a second player runs into the
  // wall at x 180 (radius 20).
  ip.push(world(1, ent(1, { x: 4 * 95, vx: 400 }), ent(2, { x: 4 * 170, vx: 400 })), 50);
  ip.push(world(2, ent(1, { x: 4 * 100, vx: 400 }), ent(2, { x: 4 * 175, vx: 400 })), 100);
  // At 225 ms we draw tick 2.5: 25 ms past the newest snapshot.
  let [a, b] = ip.sample(225);
  assert.equal(a.x, 100 + 2.5);
  assert.equal(b.x, 177.5);
  // Far past it: EXTRAPOLATE_MS worth of motion, no more.
  [a, b] = ip.sample(1000);
  assert.equal(a.x, 100 + (100 * EXTRAPOLATE_MS) / 1000);
  assert.equal(b.x, 180, "players stop at the wall");
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

test("jitter meter: steady arrivals measure ~0, alternating lateness its size; losses are not jitter", () => {
  const steady = new JitterMeter(30);
  for (let t = 1; t <= 200; t++) if (t % 7 !== 0) steady.observe(t, 1000 + (t * 1000) / 30);
  assert.ok(steady.jitterMs < 1e-9, `steady jitter ${steady.jitterMs}`);
  const jittery = new JitterMeter(30);
  for (let t = 1; t <= 400; t++) jittery.observe(t, 1000 + (t * 1000) / 30 + (t % 2) * 10);
  assert.ok(Math.abs(jittery.jitterMs - 10) < 0.5, `alternating 10 ms lateness: jitter ${jittery.jitterMs}`);
});

/** Feeds an interpolator 30 Hz snapshots of one entity moving at `speed`
 * world units/s, with arrival lateness from `late(tick)` (ms) and drops by
 * `lost(tick)`, sampling at 60 frames per second; returns the samples. */
function run({ ticks, late = () => 0, lost = () => false, delayMs, speed = 220 }) {
  const tickMs = 1000 / 30;
  const ip = new Interpolator({ tickRate: 30, positionScale: SCALE, delayMs });
  const arrivals = [];
  for (let t = 1; t <= ticks; t++) {
    if (!lost(t)) arrivals.push({ t, at: t * tickMs + late(t) });
  }
  arrivals.sort((a, b) => a.at - b.at);
  const frames = [];
  let next = 0;
  for (let now = tickMs; now <= ticks * tickMs; now += 1000 / 60) {
    while (next < arrivals.length && arrivals[next].at <= now) {
      const { t, at } = arrivals[next++];
      ip.push(world(t, ent(1, { x: Math.round(t * (speed / 30) * SCALE), vx: speed * SCALE })), at);
    }
    const [e] = ip.sample(now);
    frames.push({ now, x: e?.x, delay: ip.renderDelayMs, target: ip.targetDelayMs, jitter: ip.jitterMs });
  }
  return frames;
}

test("the render delay adapts to jitter: two intervals when steady, more when jittery", () => {
  const interval = 1000 / 30;
  const steady = run({ ticks: 300 }).at(-1);
  assert.ok(Math.abs(steady.target - BASE_DELAY_TICKS * interval) < 0.5, `steady target ${steady.target}`);
  assert.ok(Math.abs(steady.delay - steady.target) < 2, `steady delay ${steady.delay}`);
  const r = rng(7);
  const jittery = run({ ticks: 300, late: () => r() * 30 }).at(-1);
  assert.ok(jittery.jitter > 5, `measured jitter ${jittery.jitter}`);
  assert.equal(jittery.target, BASE_DELAY_TICKS * interval + JITTER_FACTOR * jittery.jitter);
  assert.ok(jittery.delay > steady.delay + 15, `jittery delay ${jittery.delay} vs steady ${steady.delay}`);
});

test("with 10% loss and jitter, drawn motion stays smooth: no frame moves faster than the speed allows", () => {
  const r = rng(11);
  const frames = run({ ticks: 450, late: () => r() * 12, lost: () => r() < 0.1 });
  const speed = 220;
  let still = 0;
  let checked = 0;
  // Skip the first second: the buffer fills and the delay settles.
  for (let i = 61; i < frames.length; i++) {
    const dt = (frames[i].now - frames[i - 1].now) / 1000;
    const dx = frames[i].x - frames[i - 1].x;
    checked++;
    assert.ok(Math.abs(dx) <= speed * dt * (1 + MAX_SLEW) * 1.05 + 0.1, `frame ${i}: moved ${dx} in ${dt * 1000} ms`);
    if (dx === 0) still++;
  }
  assert.ok(checked > 500);
  assert.ok(still === 0, `${still} frames stood still although the entity moves all along`);
});

test("while adapting, the render clock changes speed by at most MAX_SLEW", () => {
  // Jitter appears after 3 s: the delay grows, and the entity's drawn speed
  // dips by at most MAX_SLEW meanwhile (with a little for rounding).
  const r = rng(3);
  const frames = run({ ticks: 300, late: (t) => (t > 90 ? r() * 40 : 0) });
  for (let i = 61; i < frames.length; i++) {
    const dt = (frames[i].now - frames[i - 1].now) / 1000;
    const v = (frames[i].x - frames[i - 1].x) / dt;
    if (v === 0) continue; // the buffer ran dry past extrapolation: holds
    assert.ok(v <= 220 * (1 + MAX_SLEW) * 1.05 && v >= 220 * (1 - MAX_SLEW) * 0.95 - 1e-9, `frame ${i}: speed ${v}`);
  }
  assert.ok(frames.at(-1).delay > frames[80].delay + 20, "the delay grew");
});
