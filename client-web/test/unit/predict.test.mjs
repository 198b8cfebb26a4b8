// Prediction of our own player and reconciliation (src/predict.ts) with
// the movement rule a room announces in Welcome (src/movement.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CORRECTION_MS,
  MAX_PENDING,
  Predictor,
  create,
  movementOf,
  pb,
  stepPlayer,
  tickSeconds,
} from "../../.test-build/unit.mjs";

const RATE = 30;
const TICK_S = tickSeconds(RATE);
const TICK_MS = 1000 / RATE;
const WORLD = { width: 1600, height: 1000 };
// The arena's rule, as its Welcome carries it.
const ARENA = movementOf(create(pb.WelcomeSchema, { movement: { speed: 220, radius: 20, normalizeDiagonal: true } }));
const PLAYER_SPEED = ARENA.speed;
const PLAYER_RADIUS = ARENA.radius;
const CONFIG = { tickRate: RATE, world: WORLD, rule: ARENA };
const at = (m) => ({ x: m.x, y: m.y });
const STILL = { dx: 0, dy: 0 };
const RIGHT = { dx: 1, dy: 0 };

function close(a, b, eps = 1e-9) {
  return Math.abs(a - b) <= eps;
}

test("movement follows the rule from Welcome: speed, normalized diagonals, walls", () => {
  assert.equal(TICK_S, 0.033333333, "the server's tick period in whole nanoseconds");
  assert.equal(tickSeconds(RATE, 33333333), 0.033333333, "Welcome.tick_period_ns");
  assert.equal(tickSeconds(7, 5e8), 0.5, "tick_period_ns wins over the rate");
  const p = stepPlayer({ x: 100, y: 100 }, RIGHT, 0.5, WORLD, ARENA);
  assert.deepEqual(p, { x: 100 + PLAYER_SPEED / 2, y: 100, vx: PLAYER_SPEED, vy: 0 });
  const d = stepPlayer({ x: 500, y: 500 }, { dx: 1, dy: 1 }, 1, WORLD, ARENA);
  assert.ok(close(Math.hypot(d.x - 500, d.y - 500), PLAYER_SPEED, 1e-9), "diagonals are not faster");
  const half = stepPlayer({ x: 500, y: 500 }, { dx: 0.5, dy: 0 }, 1, WORLD, ARENA);
  assert.equal(half.x, 500 + PLAYER_SPEED / 2, "partial input is slower");
  const wall = stepPlayer({ x: 1570, y: 30 }, { dx: 1, dy: -1 }, 1, WORLD, ARENA);
  assert.deepEqual(wall, { x: 1600 - PLAYER_RADIUS, y: PLAYER_RADIUS, vx: 0, vy: 0 }, "walls stop the player and its velocity");
  assert.deepEqual(at(stepPlayer({ x: 10, y: 10 }, { dx: 5, dy: NaN }, 0, WORLD, ARENA)), { x: PLAYER_RADIUS, y: PLAYER_RADIUS });
  // The movers' rule: no radius, and each axis on its own.
  const movers = { speed: 100, radius: 0, normalizeDiagonal: false };
  assert.deepEqual(stepPlayer({ x: 10, y: 10 }, { dx: 1, dy: 1 }, 1, WORLD, movers), { x: 110, y: 110, vx: 100, vy: 100 });
  assert.deepEqual(stepPlayer({ x: 10, y: 10 }, { dx: -1, dy: 1 }, 1, WORLD, movers), { x: 0, y: 110, vx: 0, vy: 100 });
  assert.equal(movementOf(create(pb.WelcomeSchema, {})), null, "no rule, no prediction");
});

test("a key press moves the prediction at once, before any input is sent", () => {
  const pr = new Predictor(CONFIG);
  assert.equal(pr.view(0, STILL), null, "nothing before the first snapshot");
  pr.sent({ seq: 1, dx: 0, dy: 0 }, 1000);
  pr.reconcile({ x: 400, y: 300 }, true, 1, 1005);
  assert.deepEqual(pr.view(1010, STILL), { x: 400, y: 300 });
  // The key goes down at 1012; the next frame, 4 ms later, already moves
  // by the time since the last input was sent (12 ms, under a tick).
  const v = pr.view(1016, RIGHT);
  assert.ok(close(v.x, 400 + PLAYER_SPEED * 0.016), `x ${v.x}`);
  assert.equal(v.y, 300);
});

/**
 * A simulated server: applies each tick the inputs that arrived since the
 * last one, then steps once with the latest; snapshots carry the position
 * and the highest seq applied.
 */
class FakeServer {
  constructor(pos) {
    this.pos = pos;
    this.move = STILL;
    this.ack = 0;
    this.inbox = [];
  }
  tick() {
    for (const input of this.inbox) {
      this.move = input;
      this.ack = input.seq;
    }
    this.inbox = [];
    this.pos = at(stepPlayer(this.pos, this.move, TICK_S, WORLD, ARENA));
    return { pos: { ...this.pos }, ack: this.ack };
  }
}

test("replaying unacknowledged inputs over each snapshot converges on the server's position", () => {
  const pr = new Predictor(CONFIG);
  const server = new FakeServer({ x: 300, y: 500 });
  const latencyTicks = 3; // inputs reach the server, and snapshots us, this late
  const toServer = [];
  const toClient = [];
  let seq = 0;
  let maxCorrection = 0;
  for (let t = 1; t <= 120; t++) {
    const now = t * TICK_MS;
    // Hold right for 2 s, then let go.
    const move = t <= 60 ? RIGHT : STILL;
    seq++;
    pr.sent({ seq, ...move }, now);
    toServer.push({ at: t + latencyTicks, input: { seq, ...move } });
    while (toServer.length && toServer[0].at <= t) server.inbox.push(toServer.shift().input);
    toClient.push({ at: t + latencyTicks, snap: server.tick() });
    while (toClient.length && toClient[0].at <= t) {
      const { snap } = toClient.shift();
      pr.reconcile(snap.pos, true, snap.ack, now);
      maxCorrection = Math.max(maxCorrection, Math.hypot(pr.correction(now).x, pr.correction(now).y));
      assert.ok(pr.unacknowledged.every((i) => i.seq > snap.ack), "acknowledged inputs are dropped");
      assert.equal(pr.unacknowledged.length, seq - snap.ack, "unacknowledged ones are kept");
    }
  }
  // In lockstep the replay is exact: no correction was ever needed.
  assert.ok(maxCorrection < 1e-6, `correction ${maxCorrection}`);
  // Let the server catch up; the prediction equals it.
  for (let t = 121; t <= 130; t++) {
    while (toServer.length) server.inbox.push(toServer.shift().input);
    const snap = server.tick();
    pr.reconcile(snap.pos, true, snap.ack, t * TICK_MS);
  }
  assert.equal(pr.unacknowledged.length, 0);
  const v = pr.view(130 * TICK_MS + 500, STILL);
  assert.ok(close(v.x, server.pos.x) && close(v.y, server.pos.y), `drawn ${JSON.stringify(v)}, server ${JSON.stringify(server.pos)}`);
  assert.ok(v.x > 300 + PLAYER_SPEED * 1.9, "moved for two seconds");
});

test("a disagreement is smoothed out, not snapped; a teleport snaps", () => {
  const pr = new Predictor(CONFIG);
  pr.reconcile({ x: 400, y: 400 }, true, 0, 0);
  pr.sent({ seq: 1, ...RIGHT }, 10);
  const predicted = pr.view(10, RIGHT);
  assert.ok(close(predicted.x, 400 + PLAYER_SPEED * TICK_S));
  // The server says we were hit back by 6 units and had applied input 1.
  pr.reconcile({ x: 400 + PLAYER_SPEED * TICK_S - 6, y: 400 }, true, 1, 10);
  assert.equal(pr.unacknowledged.length, 0);
  assert.ok(close(pr.view(10, STILL).x, predicted.x), "no jump at the correction");
  const later = pr.view(10 + CORRECTION_MS, STILL).x;
  assert.ok(later < predicted.x && later > predicted.x - 6, `fading: ${later}`);
  assert.ok(close(pr.view(10 + 10 * CORRECTION_MS, STILL).x, predicted.x - 6), "converged");
  // Respawned across the map: no sliding.
  pr.reconcile({ x: 1200, y: 800 }, true, 1, 2000);
  assert.deepEqual(pr.view(2000, STILL), { x: 1200, y: 800 });
});

test("the dead are drawn where the server has them and do not move", () => {
  const pr = new Predictor(CONFIG);
  pr.reconcile({ x: 400, y: 400 }, false, 0, 0);
  pr.sent({ seq: 1, ...RIGHT }, 10);
  assert.deepEqual(pr.view(30, RIGHT), { x: 400, y: 400 });
});

test("unacknowledged inputs are bounded", () => {
  const pr = new Predictor(CONFIG);
  for (let s = 1; s <= MAX_PENDING + 10; s++) pr.sent({ seq: s, dx: 0, dy: 0 }, s);
  assert.equal(pr.unacknowledged.length, MAX_PENDING);
  assert.equal(pr.unacknowledged[0].seq, 11);
});
