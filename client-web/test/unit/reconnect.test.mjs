// Reconnection policy (src/reconnect.ts): the backoff schedule, which close
// codes are worth coming back from, what to send after the new handshake,
// when to give up, and the token kept across reloads.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  DEFAULT_RETRY_WINDOW_MS,
  FATAL_CLOSE_CODES,
  JITTER,
  SAVED_SESSION_KEY,
  TokenStore,
  afterHello,
  backoffDelay,
  nominalBackoff,
  retryWindow,
  shouldGiveUp,
  shouldReconnect,
  spectateLink,
} from "../../.test-build/unit.mjs";

test("backoff starts at 250 ms and doubles up to 4 s", () => {
  assert.equal(BACKOFF_BASE_MS, 250);
  assert.equal(BACKOFF_MAX_MS, 4000);
  const schedule = [0, 1, 2, 3, 4, 5, 6, 10, 100, 5000].map(nominalBackoff);
  assert.deepEqual(schedule, [250, 500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000]);
  assert.equal(nominalBackoff(-3), 250, "a negative attempt counts as the first");
});

test("jitter keeps each delay within [d/2, d] and spreads clients out", () => {
  assert.equal(JITTER, 0.5);
  for (let attempt = 0; attempt < 8; attempt++) {
    const d = nominalBackoff(attempt);
    assert.equal(backoffDelay(attempt, () => 0), d, "random 0: the nominal delay");
    assert.equal(backoffDelay(attempt, () => 0.999999), d * (1 - 0.5 * 0.999999));
    assert.equal(backoffDelay(attempt, () => 0.5), d * 0.75);
    // Out-of-range randoms are clamped rather than trusted.
    assert.equal(backoffDelay(attempt, () => 7), d / 2);
    assert.equal(backoffDelay(attempt, () => -1), d);
  }
  // With the real Math.random: always in range, and not all the same.
  const seen = new Set();
  for (let i = 0; i < 200; i++) {
    const v = backoffDelay(2);
    assert.ok(v >= 500 && v <= 1000, `delay ${v}`);
    seen.add(v);
  }
  assert.ok(seen.size > 50, "jittered delays differ");
  // Retrying until the cap: the whole schedule of delays.
  const delays = Array.from({ length: 7 }, (_, i) => backoffDelay(i, () => 0));
  assert.deepEqual(delays, [250, 500, 1000, 2000, 4000, 4000, 4000]);
});

test("an unexpected close is retried unless its code says don't come back", () => {
  const live = { closedByUs: false, everConnected: true };
  // docs/protocol.md "Close codes": these would only happen again, and
  // 4001 means another connection took the session over.
  for (const code of [1002, 1003, 1007, 1008, 1009, 4001]) {
    assert.ok(FATAL_CLOSE_CODES.has(code));
    assert.equal(shouldReconnect(code, live), false, `code ${code} is final`);
  }
  // The network went (1006), the server restarts (1001) or hit an internal
  // error (1011), a debug drop (4000), an unexpected normal close (1000).
  for (const code of [1000, 1001, 1005, 1006, 1011, 1012, 1013, 1014, 4000]) {
    assert.equal(shouldReconnect(code, live), true, `code ${code} is retried`);
  }
  // Our own close (page leaving) is never retried.
  assert.equal(shouldReconnect(1006, { closedByUs: true, everConnected: true }), false);
  // A server never reached at all: report it instead of retrying.
  assert.equal(shouldReconnect(1006, { closedByUs: false, everConnected: false }), false);
});

test("retrying stops when the grace period is over (or after a default window without a session)", () => {
  assert.equal(retryWindow(15_000), 15_000);
  assert.equal(retryWindow(0), DEFAULT_RETRY_WINDOW_MS);
  assert.equal(shouldGiveUp(14_999, 15_000), false);
  assert.equal(shouldGiveUp(15_000, 15_000), true);
  assert.equal(shouldGiveUp(DEFAULT_RETRY_WINDOW_MS - 1, 0), false);
  assert.equal(shouldGiveUp(DEFAULT_RETRY_WINDOW_MS, 0), true);
});

test("after the new handshake: resume within the grace, else rejoin the room, else the lobby", () => {
  const intent = { name: "alice", room: "ROOM42" };
  const base = { token: "tok", graceMs: 15_000, droppedAtMs: 1000, intent };
  assert.deepEqual(afterHello(base, 1000 + 14_999), { kind: "resume", token: "tok" });
  assert.deepEqual(afterHello(base, 1000 + 15_000), { kind: "join", intent }, "grace passed: a fresh join of the same room");
  assert.deepEqual(afterHello({ ...base, token: "" }, 2000), { kind: "join", intent }, "no token: rejoin");
  assert.deepEqual(afterHello({ ...base, graceMs: 0 }, 1000), { kind: "join", intent }, "a server without grace");
  assert.deepEqual(afterHello({ ...base, intent: null }, 2000), { kind: "lobby" }, "we were in the lobby");
  const watch = { name: "", room: "ROOM42", spectate: true };
  assert.deepEqual(afterHello({ ...base, intent: watch }, 2000), { kind: "join", intent: watch }, "spectators rejoin");
  assert.deepEqual(afterHello({ ...base, droppedAtMs: null }, 1e9), { kind: "resume", token: "tok" }, "no drop time: try");
});

function memoryStore() {
  const m = new Map();
  return {
    map: m,
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => m.set(k, String(v)),
    removeItem: (k) => m.delete(k),
  };
}

test("the token survives a reload within the grace period, once", () => {
  const mem = memoryStore();
  const store = new TokenStore(mem);
  store.save({ token: "t1", room: "R1", name: "alice", graceMs: 15_000 });
  // Still playing (never left): a load now would not resume (a crash, or
  // another tab's copy).
  assert.equal(new TokenStore(mem).takeForResume(10_000, "", false), null);

  store.save({ token: "t2", room: "R1", name: "alice", graceMs: 15_000 });
  store.markLeft(100_000);
  store.markLeft(105_000); // a second stamp (pagehide after a drop) keeps the first
  assert.equal(JSON.parse(mem.map.get(SAVED_SESSION_KEY)).leftAt, 100_000);
  const s = store.takeForResume(110_000, "", false);
  assert.deepEqual(s, { token: "t2", room: "R1", name: "alice", graceMs: 15_000, leftAt: 100_000 });
  assert.equal(store.takeForResume(110_000, "", false), null, "taken once");

  const again = (now, room = "", spectate = false) => {
    store.save({ token: "t3", room: "R1", name: "alice", graceMs: 15_000 });
    store.markLeft(200_000);
    return store.takeForResume(now, room, spectate);
  };
  assert.equal(again(215_000), null, "grace passed");
  assert.ok(again(214_999), "just within the grace");
  assert.ok(again(201_000, "R1"), "the URL names the same room");
  assert.equal(again(201_000, "OTHER"), null, "the URL asks for another room");
  assert.equal(again(201_000, "", true), null, "the URL asks to watch");
  assert.equal(again(199_000), null, "a clock that went backwards");

  store.save({ token: "t4", room: "R1", name: "alice", graceMs: 15_000 });
  store.clear();
  assert.equal(mem.map.size, 0);
});

test("the token store tolerates missing, broken and hostile storage", () => {
  const none = new TokenStore(null);
  none.save({ token: "t", room: "R", name: "", graceMs: 1000 });
  none.markLeft(1);
  assert.equal(none.takeForResume(2, "", false), null);

  const mem = memoryStore();
  mem.setItem(SAVED_SESSION_KEY, "{not json");
  assert.equal(new TokenStore(mem).takeForResume(1, "", false), null);
  mem.setItem(SAVED_SESSION_KEY, JSON.stringify({ token: 5, room: "R" }));
  assert.equal(new TokenStore(mem).takeForResume(1, "", false), null);

  const throwing = {
    getItem() {
      throw new Error("SecurityError");
    },
    setItem() {
      throw new Error("QuotaExceededError");
    },
    removeItem() {
      throw new Error("SecurityError");
    },
  };
  const t = new TokenStore(throwing);
  t.save({ token: "t", room: "R", name: "", graceMs: 1000 });
  t.markLeft(1);
  t.clear();
  assert.equal(t.takeForResume(2, "", false), null);
});

test("the watch link is the page with only ?spectate=1&room=<id>", () => {
  const page = new URL("http://127.0.0.1:8080/?name=ann&autojoin=1&room=old#x");
  assert.equal(spectateLink(page, "AB12CD"), "http://127.0.0.1:8080/?spectate=1&room=AB12CD");
});
