// Snapshot reconstruction (src/world.ts): full and delta snapshots exactly
// as skirmish.proto documents them.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  HISTORY_TICKS,
  SnapshotError,
  SnapshotHistory,
  create,
  decodeIds,
  decodeServerMessage,
  pb,
  toBinary,
} from "../../.test-build/unit.mjs";

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
  const world = new SnapshotHistory().apply(msg.msg.value);
  assert.equal(world.tick, 7);
  assert.deepEqual(entities(world), [
    ent(2, { kind: 1, x: 40, y: 12, vx: 4, angle: 64, hp: 100 }),
    ent(5, { kind: 2, x: -8, y: 100, angle: 200 }),
  ]);
});

test("a full snapshot ignores `removed` and replaces the world", () => {
  const h = new SnapshotHistory();
  h.apply(snap({ tick: 1, id: [1, 1], kind: [1, 1] }));
  const w = h.apply(snap({ tick: 2, id: [2], kind: [1], removed: [2] }));
  assert.deepEqual(entities(w), [ent(2, { kind: 1 })]);
});

test("delta applies differences, adds, removes and keeps the rest", () => {
  const h = new SnapshotHistory();
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
  const h = new SnapshotHistory();
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
  const h = new SnapshotHistory();
  h.apply(snap({ tick: 5, id: [1], kind: [1], x: [9] }));
  const w = h.apply(snap({ tick: 6, baseTick: 5 }));
  assert.deepEqual(entities(w), [ent(1, { kind: 1, x: 9 })]);
});

test("delta values wrap like int32", () => {
  const h = new SnapshotHistory();
  h.apply(snap({ tick: 1, id: [1], score: [2147483647] }));
  const w = h.apply(snap({ tick: 2, baseTick: 1, id: [1], score: [1] }));
  assert.equal(w.entities.get(1).score, -2147483648);
});

test("delta against an unknown baseline is refused and not remembered", () => {
  const h = new SnapshotHistory();
  h.apply(snap({ tick: 1, id: [1], kind: [1] }));
  assert.throws(() => h.apply(snap({ tick: 3, baseTick: 2, id: [1], x: [1] })), SnapshotError);
  assert.equal(h.newest.tick, 1, "ack_tick must not name a tick we could not build");
  assert.equal(h.get(3), undefined);
});

test(`the last ${HISTORY_TICKS} reconstructed ticks stay usable as baselines`, () => {
  const h = new SnapshotHistory();
  const total = HISTORY_TICKS + 6;
  for (let t = 1; t <= total; t++) h.apply(snap({ tick: t, id: [1], x: [t] }));
  const oldestKept = total - HISTORY_TICKS + 1;
  assert.equal(h.get(oldestKept - 1), undefined);
  assert.throws(() => h.apply(snap({ tick: total + 1, baseTick: oldestKept - 1 })), SnapshotError);
  const w = h.apply(snap({ tick: total + 1, baseTick: oldestKept, id: [1], x: [1000] }));
  assert.equal(w.entities.get(1).x, oldestKept + 1000);
});

test("a column whose length differs from the ids is refused", () => {
  const h = new SnapshotHistory();
  assert.throws(() => h.apply(snap({ tick: 1, id: [1, 1], x: [5] })), /column x has 1 values for 2 ids/);
  assert.equal(h.newest, undefined);
});
