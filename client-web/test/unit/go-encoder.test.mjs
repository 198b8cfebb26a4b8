// The client decodes what the server's snapshot encoder really writes.
// The fixture is produced by game.SnapshotEncoder (see
// snapshot_fixture_test.go, which also checks it is current and that
// game.ApplySnapshot agrees with it).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { SnapshotHistory, decodeIds, decodeServerMessage } from "../../.test-build/unit.mjs";

const fixture = JSON.parse(readFileSync(new URL("fixtures/go-encoder-snapshots.json", import.meta.url), "utf8"));
const { tickRate, steps } = fixture;

test("full and delta snapshots from game.SnapshotEncoder rebuild the same worlds", () => {
  assert.equal(tickRate, 30, "the fixture names its tick rate");
  assert.ok(steps.some((s) => s.baseTick !== 0), "the fixture has deltas");
  const history = new SnapshotHistory(tickRate);
  for (const step of steps) {
    const msg = decodeServerMessage(Buffer.from(step.hex, "hex"));
    assert.equal(msg.msg.case, "snapshot");
    assert.equal(msg.msg.value.tick, step.tick);
    assert.equal(msg.msg.value.baseTick, step.baseTick);
    assert.equal(msg.inputAck, step.inputAck, "input_ack appended after the snapshot");
    const world = history.apply(msg.msg.value);
    const got = [...world.entities.values()].sort((a, b) => a.id - b.id).map((e) => ({ ...e }));
    assert.deepEqual(got, step.world, `world of tick ${step.tick}`);
    assert.equal(history.newest.tick, Math.max(...steps.filter((s) => s.tick <= step.tick).map((s) => s.tick)));
  }
});

test("the fixture exercises dead reckoning: unlisted entities move", () => {
  // Without prediction these deltas would leave moving entities behind, so
  // the test above would fail; make sure the fixture keeps such cases.
  let movedUnlisted = 0;
  const byTick = new Map(steps.map((s) => [s.tick, s]));
  for (const step of steps) {
    if (step.baseTick === 0) continue;
    const listed = new Set(decodeIds(decodeServerMessage(Buffer.from(step.hex, "hex")).msg.value.id));
    const base = new Map(byTick.get(step.baseTick).world.map((e) => [e.id, e]));
    for (const e of step.world) {
      const old = base.get(e.id);
      if (!listed.has(e.id) && old && (old.x !== e.x || old.y !== e.y)) movedUnlisted++;
    }
  }
  assert.ok(movedUnlisted >= 5, `only ${movedUnlisted} unlisted entities moved`);
  assert.ok(steps.some((s) => s.world.some((e) => e.vx < 0 || e.vy < 0)), "negative velocities");
  assert.ok(steps.some((s) => s.baseTick !== 0 && s.tick - s.baseTick > 1), "multi-tick deltas");
});
