// Snapshot reconstruction (src/world.ts): full and delta snapshots exactly
// as skirmish.proto documents them, dead reckoning included.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  HISTORY_TICKS,
  SnapshotError,
  SnapshotHistory,
  create,
  decodeIds,
  decodeServerMessage,
  divRound,
  predictEntity,
  pb,
  toBinary,
} from "../../.test-build/unit.mjs";

const RATE = 30;

/** A Snapshot as plain columns; unspecified columns are empty (all zero). */
function snap(fields) {
  return {
    tick: 0, baseTick: 0, id: [], kind: [], x: [], y: [], vx: [], vy: [],
    angle: [], hp: [], score: [], removed: [], ...fields,
  };
}

/** The world's entities as plain objects ordered by id, for deepEqual. */
function entities(world) {
  return [...world.entities.values()].sort((a, b) => a.id - b.id).map((e) => ({ ...e }));
}

function ent(id, fields = {}) {
  return { id, kind: 0, x: 0, y: 0, vx: 0, vy: 0, angle: 0, hp: 0, score: 0, ...fields };
}

test("ids are gap-coded from zero", () => {
  assert.deepEqual(decodeIds([3, 1, 5]), [3, 4, 9]);
  assert.deepEqual(decodeIds([]), []);
  assert.throws(() => decodeIds([3, 0]), SnapshotError, "a zero gap repeats an id");
});

test("full snapshot decoded from the wire, empty columns are zero", () => {
  const bytes = toBinary(pb.ServerMessageSchema, create(pb.ServerMessageSchema, {
    msg: {
      case: "snapshot",
      value: {
        tick: 7, baseTick: 0, id: [2, 3], kind: [1, 2], x: [40, -8], y: [12, 100],
        vx: [4, 0], angle: [64, 200], hp: [100, 0],
        // vy and score left empty: all zero
      },
    },
    inputAck: 42,
  }));
  const msg = decodeServerMessage(bytes);
  assert.equal(msg.msg.case, "snapshot");
  assert.equal(msg.inputAck, 42);
  const world = new SnapshotHistory(RATE).apply(msg.msg.value);
  assert.equal(world.tick, 7);
  assert.deepEqual(entities(world), [
    ent(2, { kind: 1, x: 40, y: 12, vx: 4, angle: 64, hp: 100 }),
    ent(5, { kind: 2, x: -8, y: 100, angle: 200 }),
  ]);
});

test("a full snapshot ignores `removed` and replaces the world", () => {
  const h = new SnapshotHistory(RATE);
  h.apply(snap({ tick: 1, id: [1, 1], kind: [1, 1] }));
  const w = h.apply(snap({ tick: 2, id: [2], kind: [1], removed: [2] }));
  assert.deepEqual(entities(w), [ent(2, { kind: 1 })]);
});

test("delta applies differences, adds, removes and keeps the rest", () => {
  const h = new SnapshotHistory(RATE);
  const base = h.apply(snap({
    tick: 10,
    id: [1, 1, 1], // ids 1, 2, 3
    kind: [1, 1, 2],
    x: [100, 200, 300],
    y: [10, 20, 30],
    hp: [100, 100, 0],
    score: [0, 3, 0],
  }));
  const w = h.apply(snap({
    tick: 12,
    baseTick: 10,
    id: [1, 6], // id 1 changed, id 7 appeared
    kind: [0, 3], // a new entity counts from zero: kind 3
    x: [5, 640],
    y: [-3, 480],
    hp: [-25, 0],
    score: [1, 0],
    removed: [3],
  }));
  assert.equal(w.tick, 12);
  assert.deepEqual(entities(w), [
    ent(1, { kind: 1, x: 105, y: 7, hp: 75, score: 1 }),
    ent(2, { kind: 1, x: 200, y: 20, hp: 100, score: 3 }), // not mentioned: unchanged
    ent(7, { kind: 3, x: 640, y: 480 }),
  ]);
  // The baseline is left as it was, so later deltas may still use it.
  assert.equal(base.entities.get(1).x, 100);
  assert.ok(base.entities.has(3));
  assert.equal(h.get(10), base);
});

test("delta against a delta, and against an older tick than the newest", () => {
  const h = new SnapshotHistory(RATE);
  h.apply(snap({ tick: 1, id: [4], kind: [1], x: [10] }));
  h.apply(snap({ tick: 2, baseTick: 1, id: [4], x: [5] })); // x 15
  const w3 = h.apply(snap({ tick: 3, baseTick: 2, id: [4], x: [5] })); // x 20
  assert.equal(w3.entities.get(4).x, 20);
  // The server may not have seen our newest ack yet and base tick 4 on 1.
  const w4 = h.apply(snap({ tick: 4, baseTick: 1, id: [4], x: [30] })); // x 40
  assert.equal(w4.entities.get(4).x, 40);
  assert.equal(h.newest.tick, 4);
});

test("an empty delta means nothing changed", () => {
  const h = new SnapshotHistory(RATE);
  h.apply(snap({ tick: 5, id: [1], kind: [1], x: [9] }));
  const w = h.apply(snap({ tick: 6, baseTick: 5 }));
  assert.deepEqual(entities(w), [ent(1, { kind: 1, x: 9 })]);
});

test("delta values wrap like int32", () => {
  const h = new SnapshotHistory(RATE);
  h.apply(snap({ tick: 1, id: [1], score: [2147483647] }));
  const w = h.apply(snap({ tick: 2, baseTick: 1, id: [1], score: [1] }));
  assert.equal(w.entities.get(1).score, -2147483648);
});

test("delta against an unknown baseline is refused and not remembered", () => {
  const h = new SnapshotHistory(RATE);
  h.apply(snap({ tick: 1, id: [1], kind: [1] }));
  assert.throws(() => h.apply(snap({ tick: 3, baseTick: 2, id: [1], x: [1] })), SnapshotError);
  assert.equal(h.newest.tick, 1, "ack_tick must not name a tick we could not build");
  assert.equal(h.get(3), undefined);
});

test(`the last ${HISTORY_TICKS} reconstructed ticks stay usable as baselines`, () => {
  const h = new SnapshotHistory(RATE);
  const total = HISTORY_TICKS + 6;
  for (let t = 1; t <= total; t++) h.apply(snap({ tick: t, id: [1], x: [t] }));
  const oldestKept = total - HISTORY_TICKS + 1;
  assert.equal(h.get(oldestKept - 1), undefined);
  assert.throws(() => h.apply(snap({ tick: total + 1, baseTick: oldestKept - 1 })), SnapshotError);
  const w = h.apply(snap({ tick: total + 1, baseTick: oldestKept, id: [1], x: [1000] }));
  assert.equal(w.entities.get(1).x, oldestKept + 1000);
});

test("a column whose length differs from the ids is refused", () => {
  const h = new SnapshotHistory(RATE);
  assert.throws(() => h.apply(snap({ tick: 1, id: [1, 1], x: [5] })), /column x has 1 values for 2 ids/);
  assert.equal(h.newest, undefined);
});

test("div_round rounds to nearest, halves up, like floor((2a + b) / 2b)", () => {
  const cases = [
    [0, 30, 0], [15, 30, 1], [-15, 30, 0], [14, 30, 0], [-16, 30, -1],
    [45, 30, 2], [-45, 30, -1], [880, 30, 29], [-880, 30, -29], [1760, 30, 59], [-1760, 30, -59],
    [30, 30, 1], [-30, 30, -1], [7, 1, 7], [-7, 1, -7], [5, 2, 3], [-5, 2, -2],
  ];
  for (const [a, b, want] of cases) assert.equal(divRound(a, b), want, `div_round(${a}, ${b})`);
  // Against the formula in BigInt over a range, including the float edge.
  for (const b of [1, 7, 20, 30, 60, 120]) {
    for (let a = -500; a <= 500; a++) {
      const n = 2n * BigInt(a) + BigInt(b);
      const d = 2n * BigInt(b);
      const q = n / d - (n % d !== 0n && n < 0n ? 1n : 0n);
      assert.equal(divRound(a, b), Number(q), `div_round(${a}, ${b})`);
    }
  }
  const big = 2 ** 45 + 3; // 2a + b is past 2 ** 50: the BigInt path
  assert.equal(divRound(big * 30 + 15, 30), big + 1, "exact for large values too");
});

test("prediction moves only x and y, by div_round(v * ticks, tick_rate)", () => {
  const e = ent(1, { kind: 1, x: 100, y: 200, vx: -45, vy: 15, angle: 3, hp: 50, score: 4 });
  assert.deepEqual({ ...predictEntity(e, 1, RATE) }, { ...e, x: 99, y: 201 });
  assert.deepEqual({ ...predictEntity(e, 2, RATE) }, { ...e, x: 97, y: 201 });
  assert.equal(predictEntity(e, 0, RATE), e);
  const still = ent(2, { x: 5 });
  assert.equal(predictEntity(still, 9, RATE), still, "unmoving entities are shared, not copied");
  // int32 wrap-around, as the server's int32(...) conversion and addition.
  const fast = ent(3, { x: 2147483000, vx: 2147483647 });
  const q = (2n * 2147483647n * 1000n + 30n) / 60n;
  assert.equal(predictEntity(fast, 1000, RATE).x, Number(BigInt.asIntN(32, 2147483000n + BigInt.asIntN(32, q))));
});

test("delta: baseline entities move by dead reckoning, listed values are relative to that", () => {
  const h = new SnapshotHistory(RATE);
  h.apply(snap({
    tick: 10,
    id: [1, 1, 1], // ids 1, 2, 3
    kind: [1, 1, 2],
    x: [1000, 2000, 3000],
    y: [500, 500, 500],
    vx: [880, -15, 0],
    vy: [0, 45, 2400],
  }));
  // Three ticks later: 1 is where predicted (not listed), 2 is one unit off
  // in x and has stopped, 3 is listed with hp only.
  const w = h.apply(snap({ tick: 13, baseTick: 10, id: [2, 1], x: [1, 0], vx: [15, 0], vy: [-45, 0], hp: [0, 7] }));
  assert.deepEqual(entities(w), [
    ent(1, { kind: 1, x: 1000 + 88, y: 500, vx: 880 }), // 2640/30 = 88
    ent(2, { kind: 1, x: 2000 - 1 + 1, y: 500 + 5, vx: 0, vy: 0 }), // -45/30 = -1.5 -> -1; 135/30 = 4.5 -> 5
    ent(3, { kind: 2, x: 3000, y: 500 + 240, vy: 2400, hp: 7 }),
  ]);
  // An empty delta still moves everyone.
  const w2 = h.apply(snap({ tick: 14, baseTick: 13 }));
  assert.equal(w2.entities.get(1).x, 1088 + 29);
  assert.equal(w2.entities.get(3).y, 740 + 80);
  assert.equal(w2.entities.get(2).y, 505, "stopped entities stay");
});

test("a new entity in a delta counts from zero, not from a prediction", () => {
  const h = new SnapshotHistory(RATE);
  h.apply(snap({ tick: 1, id: [1], kind: [1], x: [10], vx: [300] }));
  const w = h.apply(snap({ tick: 3, baseTick: 1, id: [4], kind: [2], x: [50], vx: [300] }));
  assert.deepEqual(entities(w), [ent(1, { kind: 1, x: 30, vx: 300 }), ent(4, { kind: 2, x: 50, vx: 300 })]);
});

test("an id both removed and listed, or removed ids out of order, are refused, as in wire.ApplySnapshot", () => {
  const h = new SnapshotHistory(RATE);
  h.apply(snap({ tick: 1, id: [1, 1], kind: [1, 1], x: [10, 20], vx: [30, 30] }));
  assert.throws(() => h.apply(snap({ tick: 2, baseTick: 1, id: [2], hp: [5], removed: [1, 2] })), /both listed and removed/);
  assert.throws(() => h.apply(snap({ tick: 2, baseTick: 1, removed: [2, 1] })), /do not ascend/);
  assert.equal(h.newest.tick, 1, "nothing remembered");
  // Ids the baseline does not hold are ignored.
  const w = h.apply(snap({ tick: 2, baseTick: 1, removed: [1, 7] }));
  assert.deepEqual(entities(w), [ent(2, { kind: 1, x: 21, vx: 30 })]);
});

test("a delta whose baseline is not older, or without a tick rate, is refused", () => {
  const h = new SnapshotHistory(RATE);
  h.apply(snap({ tick: 5, id: [1], kind: [1] }));
  assert.throws(() => h.apply(snap({ tick: 5, baseTick: 5 })), /not older/);
  assert.throws(() => h.apply(snap({ tick: 4, baseTick: 5 })), /not older/);
  const h0 = new SnapshotHistory(0);
  h0.apply(snap({ tick: 5, id: [1], kind: [1] }));
  assert.throws(() => h0.apply(snap({ tick: 6, baseTick: 5 })), /tick rate/);
  assert.equal(h0.newest.tick, 5);
});

test("ids that wrap past 2^32 are refused", () => {
  assert.throws(() => decodeIds([4294967295, 2]), SnapshotError);
});
