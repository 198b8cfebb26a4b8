// Network statistics and the ?loss= knob (src/netstats.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { LOSS_WINDOW_TICKS, NetStats, parseLoss, snapshotDropper } from "../../.test-build/unit.mjs";

test("bytes per second over the last second", () => {
  const s = new NetStats();
  assert.equal(s.bytesPerS(0), 0);
  for (let t = 0; t < 2000; t += 100) s.addBytes(50, t);
  // Frames in (900, 1900]: 10 of 50 bytes.
  assert.equal(s.bytesPerS(1900), 500);
  assert.equal(s.bytesPerS(5000), 0, "nothing lately");
});

test("snapshot loss is the share of gaps in the tick numbers", () => {
  const s = new NetStats();
  for (let t = 101; t <= 200; t++) if (t % 10 !== 5) s.addSnapshot(t);
  assert.ok(Math.abs(s.lossPct - 10) < 1e-9, `loss ${s.lossPct}`);
  s.addSnapshot(150); // a repeat is not an arrival
  assert.ok(Math.abs(s.lossPct - 10) < 1e-9);
  // Only the newest window counts: a long clean run forgets old losses.
  for (let t = 201; t <= 200 + LOSS_WINDOW_TICKS; t++) s.addSnapshot(t);
  assert.equal(s.lossPct, 0);
  s.resetSnapshots();
  assert.equal(s.lossPct, 0);
});

test("the loss knob drops about the fraction asked, reproducibly", () => {
  const drop = snapshotDropper(0.1);
  let n = 0;
  for (let i = 0; i < 10000; i++) if (drop()) n++;
  assert.ok(n > 900 && n < 1100, `${n} of 10000 dropped`);
  const again = snapshotDropper(0.1);
  const replay = snapshotDropper(0.1);
  for (let i = 0; i < 100; i++) assert.equal(again(), replay());
  const off = snapshotDropper(0);
  for (let i = 0; i < 100; i++) assert.equal(off(), false);
  assert.equal(parseLoss("0.1"), 0.1);
  assert.equal(parseLoss(null), 0);
  assert.equal(parseLoss("lots"), 0);
  assert.equal(parseLoss("2"), 0.95);
  assert.equal(parseLoss("-1"), 0);
});
