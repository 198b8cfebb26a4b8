// The client decodes what the server's snapshot encoder really writes.
// The fixture is produced by game.SnapshotEncoder (see
// snapshot_fixture_test.go, which also checks it is current).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { SnapshotHistory, decodeServerMessage } from "../../.test-build/unit.mjs";

const steps = JSON.parse(readFileSync(new URL("fixtures/go-encoder-snapshots.json", import.meta.url), "utf8"));

test("full and delta snapshots from game.SnapshotEncoder rebuild the same worlds", () => {
  assert.ok(steps.some((s) => s.baseTick !== 0), "the fixture has deltas");
  const history = new SnapshotHistory();
  for (const step of steps) {
    const msg = decodeServerMessage(Buffer.from(step.hex, "hex"));
    assert.equal(msg.msg.case, "snapshot");
    assert.equal(msg.msg.value.tick, step.tick);
    assert.equal(msg.msg.value.baseTick, step.baseTick);
    assert.equal(msg.inputAck, step.inputAck, "input_ack appended after the snapshot");
    const world = history.apply(msg.msg.value);
    const got = [...world.entities.values()].sort((a, b) => a.id - b.id).map((e) => ({ ...e }));
    assert.deepEqual(got, step.world, `world of tick ${step.tick}`);
  }
});
