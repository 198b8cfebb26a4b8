// Control mapping (src/input.ts, src/view.ts), the wire encoding of client
// messages and the URLs the client derives (src/net.ts, src/hud.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Viewport,
  aimAngle,
  encodeClientMessage,
  fromBinary,
  moveVector,
  pb,
  shareLink,
  socketUrl,
} from "../../.test-build/unit.mjs";

test("movement keys map to a normalized direction, +y down", () => {
  assert.deepEqual(moveVector(new Set()), { dx: 0, dy: 0 });
  assert.deepEqual(moveVector(new Set(["KeyD"])), { dx: 1, dy: 0 });
  assert.deepEqual(moveVector(new Set(["ArrowUp"])), { dx: 0, dy: -1 });
  assert.deepEqual(moveVector(new Set(["KeyS"])), { dx: 0, dy: 1 });
  assert.deepEqual(moveVector(new Set(["KeyA", "KeyD"])), { dx: 0, dy: 0 }, "opposites cancel");
  const diag = moveVector(new Set(["KeyW", "ArrowRight"]));
  assert.ok(Math.abs(Math.hypot(diag.dx, diag.dy) - 1) < 1e-12, "diagonal is not faster");
  assert.ok(diag.dx > 0 && diag.dy < 0);
});

test("aim is the world angle from player to mouse (+y is screen down)", () => {
  assert.equal(aimAngle({ x: 10, y: 10 }, { x: 20, y: 10 }), 0);
  assert.equal(aimAngle({ x: 10, y: 10 }, { x: 10, y: 30 }), Math.PI / 2, "below the player is +pi/2");
});

test("viewport fits the world, centred, and maps both ways", () => {
  const v = new Viewport();
  v.fit(1000, 600, 200, 100, 0, 0); // limited by width: 5 px per unit
  assert.equal(v.scale, 5);
  assert.deepEqual(v.toScreen(0, 0), { x: 0, y: 50 });
  assert.deepEqual(v.toScreen(200, 100), { x: 1000, y: 550 });
  assert.deepEqual(v.toWorld(500, 300), { x: 100, y: 50 });
  // Below a 100 px bar with 10 px margins: limited by height, 4 px per unit.
  v.fit(1000, 520, 200, 100, 100, 10);
  assert.equal(v.scale, 4);
  assert.deepEqual(v.toScreen(0, 0), { x: 100, y: 110 });
});

test("Input encodes to the documented ClientMessage", () => {
  const bytes = encodeClientMessage({
    case: "input",
    value: { seq: 9, dx: 1, dy: -0.5, aim: 1.5, buttons: pb.Button.FIRE, ackTick: 77 },
  });
  const msg = fromBinary(pb.ClientMessageSchema, bytes);
  assert.equal(msg.msg.case, "input");
  const { seq, dx, dy, aim, buttons, ackTick } = msg.msg.value;
  assert.deepEqual({ seq, dx, dy, aim, buttons, ackTick }, { seq: 9, dx: 1, dy: -0.5, aim: 1.5, buttons: 1, ackTick: 77 });
});

test("socket URL is /ws on the page's host, wss for https", () => {
  assert.equal(socketUrl({ protocol: "http:", host: "127.0.0.1:8080" }), "ws://127.0.0.1:8080/ws");
  assert.equal(socketUrl({ protocol: "https:", host: "play.example" }), "wss://play.example/ws");
});

test("share link keeps only the room", () => {
  const page = new URL("http://h:1/play/?name=alice&autojoin=1&room=old#x");
  assert.equal(shareLink(page, "r 1"), "http://h:1/play/?room=r+1");
});
