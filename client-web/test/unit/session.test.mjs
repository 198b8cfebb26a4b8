// The session's protocol flow across reconnections (src/session.ts), driven
// through a fake WebSocket and mocked timers: what the client sends after a
// drop (resume, rejoin, nothing), how it treats the answers, and when it
// stops trying.
import assert from "node:assert/strict";
import { afterEach, beforeEach, mock, test } from "node:test";
import { DEAD_AFTER_MS, Session, TokenStore, create, fromBinary, pb, toBinary } from "../../.test-build/unit.mjs";

/** A WebSocket the test plays the server of. */
class FakeSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  static all = [];

  constructor(url) {
    this.url = url;
    this.readyState = FakeSocket.CONNECTING;
    this.sent = [];
    this.closedWith = null;
    FakeSocket.all.push(this);
  }

  send(bytes) {
    this.sent.push(fromBinary(pb.ClientMessageSchema, bytes).msg);
  }

  close(code, reason) {
    this.closedWith = { code, reason };
    this.readyState = FakeSocket.CLOSED;
  }

  // --- the server's side

  open() {
    this.readyState = FakeSocket.OPEN;
    this.onopen?.({});
  }

  /** Delivers a ServerMessage given as its oneof, e.g. {case: "welcome", value: {...}}. */
  deliver(msg, inputAck = 0) {
    const bytes = toBinary(pb.ServerMessageSchema, create(pb.ServerMessageSchema, { msg, inputAck }));
    this.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
  }

  /** The connection ends with `code` (1006: no close frame). */
  drop(code = 1006, reason = "") {
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.({ code, reason });
  }

  /** Messages of one kind the client sent, e.g. "join". */
  sentOf(kind) {
    return this.sent.filter((m) => m.case === kind).map((m) => m.value);
  }
}

const realWebSocket = globalThis.WebSocket;
let clock;

beforeEach(() => {
  FakeSocket.all = [];
  globalThis.WebSocket = FakeSocket;
  clock = 0;
  mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
});

afterEach(() => {
  mock.timers.reset();
  globalThis.WebSocket = realWebSocket;
});

/** Advances the session's clock and the mocked timers together. */
function advance(ms) {
  clock += ms;
  mock.timers.tick(ms);
}

function memoryStore() {
  const m = new Map();
  return { map: m, getItem: (k) => m.get(k) ?? null, setItem: (k, v) => m.set(k, v), removeItem: (k) => m.delete(k) };
}

const controls = () => ({ dx: 0, dy: 0, aim: 0, buttons: 0 });

function newSession(opts = {}) {
  const storage = memoryStore();
  const session = new Session("ws://test/ws", controls, () => clock, {
    tokens: new TokenStore(storage),
    random: () => 0, // nominal backoff: 250, 500, 1000, ...
    ...opts,
  });
  return { session, storage };
}

function welcome(fields = {}) {
  return {
    case: "welcome",
    value: {
      playerId: 7,
      room: "ROOM1",
      mode: "arena",
      tickRate: 30,
      tick: 100,
      worldWidth: 1600,
      worldHeight: 900,
      positionScale: 4,
      sessionToken: "tok-1",
      resumeGraceMs: 15_000,
      capacity: 16,
      ...fields,
    },
  };
}

const serverHello = { case: "hello", value: { protocolVersion: 1, server: "fake", maxMessageBytes: 4096 } };

/** Opens socket i, answers its Hello; returns it. */
function handshake(i) {
  const ws = FakeSocket.all[i];
  assert.ok(ws, `socket ${i} exists`);
  ws.open();
  assert.equal(ws.sentOf("hello").length, 1, "Hello first");
  ws.deliver(serverHello);
  return ws;
}

/** A session playing in ROOM1 as player 7 on socket 0. */
function playing(opts) {
  const first = FakeSocket.all.length;
  const s = newSession(opts);
  s.session.join({ name: "alice", room: "" });
  const ws = handshake(first);
  assert.deepEqual(ws.sentOf("join").map((j) => [j.name, j.room, j.private, j.spectate, j.resumeToken]), [["alice", "", false, false, ""]]);
  ws.deliver(welcome());
  ws.deliver({ case: "roster", value: { players: [{ id: 7, name: "alice" }] } });
  assert.equal(s.session.status, "playing");
  return { ...s, ws };
}

test("a dropped connection reconnects after the backoff and resumes the same player", () => {
  const { session, storage, ws } = playing();
  advance(200); // about 6 inputs at 30 Hz
  const sentBefore = ws.sentOf("input").map((i) => i.seq);
  const n = sentBefore.length;
  assert.ok(n >= 4, `${n} inputs sent`);
  assert.deepEqual(sentBefore, Array.from({ length: n }, (_, i) => i + 1));
  assert.ok(storage.map.get("skirmish.session").includes("tok-1"), "token kept in sessionStorage");

  ws.drop(1006);
  assert.equal(session.status, "reconnecting");
  assert.equal(session.room.playerId, 7, "the room stays on screen while reconnecting");
  assert.equal(FakeSocket.all.length, 1, "no new socket before the backoff");
  advance(249);
  assert.equal(FakeSocket.all.length, 1);
  advance(1);
  assert.equal(FakeSocket.all.length, 2, "a new socket after 250 ms");

  const ws2 = handshake(1);
  assert.deepEqual(ws2.sentOf("join").map((j) => j.resumeToken), ["tok-1"], "Hello, then Join{resume_token}");
  assert.equal(session.status, "reconnecting", "until the Welcome");
  // The server applied all but the last two; those were lost with the
  // socket.
  ws2.deliver(welcome({ resumed: true, inputSeq: n - 2, sessionToken: "tok-2" }));
  assert.equal(session.status, "playing");
  assert.equal(session.room.playerId, 7);
  assert.equal(session.resumes, 1);
  assert.match(session.notice, /resumed/);
  assert.ok(storage.map.get("skirmish.session").includes("tok-2"), "the newest token replaces the used one");
  advance(50);
  assert.deepEqual(ws2.sentOf("input").map((i) => i.seq)[0], n - 1, "inputs continue after Welcome.input_seq");
  assert.deepEqual(session.statusLog.map((e) => e.status), ["connecting", "lobby", "playing", "reconnecting", "playing"]);

  // The next drop uses the newest token.
  ws2.drop(1001);
  advance(250);
  assert.deepEqual(handshake(2).sentOf("join").map((j) => j.resumeToken), ["tok-2"]);
});

test("a server restart is announced, then the client reconnects and resumes", () => {
  const { session, ws } = playing();
  const joinsBefore = ws.sentOf("join").length;
  ws.deliver({ case: "error", value: { code: pb.ErrorCode.SERVER_RESTARTING, message: "the server restarts in 5s" } });
  assert.equal(session.status, "playing", "the game goes on until the close");
  assert.match(session.notice, /Server restarting \(the server restarts in 5s\)/);
  assert.equal(session.error, "", "a notice, not an error");
  assert.equal(ws.sentOf("join").length, joinsBefore, "not taken for the answer to a join");
  ws.drop(1001, "server shutting down");
  assert.equal(session.status, "reconnecting");
  assert.equal(session.notice, "Server restarting; reconnecting…");
  advance(250);
  const ws2 = handshake(1);
  assert.deepEqual(ws2.sentOf("join").map((j) => j.resumeToken), ["tok-1"]);
  ws2.deliver(welcome({ resumed: true, sessionToken: "tok-2" }));
  assert.equal(session.status, "playing");
  assert.equal(session.restarting, false);
  // The next drop is an ordinary one again.
  ws2.drop(1006);
  assert.equal(session.notice, "Connection lost; reconnecting…");
});

test("a Join refused because the server drains leaves the player in the lobby, saying so", () => {
  const { session } = newSession();
  session.join({ name: "zed", room: "" });
  const ws = handshake(0);
  ws.deliver({ case: "error", value: { code: pb.ErrorCode.DRAINING, message: "draining" } });
  assert.equal(session.status, "lobby");
  assert.equal(session.joining, false);
  assert.match(session.error, /^DRAINING: /);
});

test("attempts back off 250, 500, 1000 ms ... and stop when the grace period is over", () => {
  const { session, ws } = playing();
  ws.deliver(welcome({ resumeGraceMs: 3000 })); // a shorter grace for this test
  ws.drop(1006);
  const opened = [];
  let last = clock;
  while (session.status === "reconnecting") {
    advance(10);
    if (FakeSocket.all.length > opened.length + 1) {
      opened.push(clock - last);
      FakeSocket.all.at(-1).drop(1006); // refused: the server is not back
      last = clock;
    }
    assert.ok(clock < 60_000, "gave up at some point");
  }
  assert.deepEqual(opened, [250, 500, 1000, 2000], "the backoff schedule");
  assert.equal(session.status, "closed");
  assert.match(session.notice, /Gave up reconnecting after 4 attempts/);
  advance(10_000);
  assert.equal(FakeSocket.all.length, 5, "no attempt after giving up");
});

test("a refused resume falls back to a fresh Join of the same room", () => {
  const { session, storage, ws } = playing();
  ws.drop(1006);
  advance(250);
  const ws2 = handshake(1);
  ws2.deliver({ case: "error", value: { code: pb.ErrorCode.SESSION_EXPIRED, message: "grace passed" } });
  const joins = ws2.sentOf("join");
  assert.equal(joins.length, 2);
  assert.deepEqual([joins[1].name, joins[1].room, joins[1].resumeToken], ["alice", "ROOM1", ""]);
  assert.match(session.notice, /Could not resume the session \(SESSION_EXPIRED\); joining room ROOM1 again as a new player/);
  assert.equal(storage.map.size, 0, "the dead token is forgotten");
  ws2.deliver(welcome({ playerId: 9, sessionToken: "tok-9" }));
  assert.equal(session.status, "playing");
  assert.equal(session.room.playerId, 9, "a new player");
  assert.match(session.notice, /new player/, "the notice stays to say so");
});

test("if the fresh Join fails too, the client goes back to the lobby and says why", () => {
  const { session, ws } = playing();
  ws.drop(1006);
  advance(250);
  const ws2 = handshake(1);
  ws2.deliver({ case: "error", value: { code: pb.ErrorCode.SESSION_INVALID, message: "bad token" } });
  ws2.deliver({ case: "error", value: { code: pb.ErrorCode.ROOM_FULL, message: "full" } });
  assert.equal(session.status, "lobby");
  assert.equal(session.room, null);
  assert.equal(session.joining, false);
  assert.match(session.notice, /Could not rejoin room ROOM1 \(ROOM_FULL\)/);
  // The player may try again from the lobby.
  session.join({ name: "alice", room: "" });
  assert.equal(ws2.sentOf("join").length, 3);
});

test("a Join under way when the connection dropped is sent again; if refused, the lobby", () => {
  const { session } = newSession();
  session.join({ name: "zed", room: "" });
  const ws = handshake(0);
  ws.drop(1006); // before the Welcome
  assert.equal(session.status, "reconnecting");
  advance(250);
  const ws2 = handshake(1);
  assert.deepEqual(ws2.sentOf("join").map((j) => [j.name, j.room]), [["zed", ""]]);
  assert.equal(session.automatic, true, "the lobby stays hidden meanwhile");
  ws2.deliver({ case: "error", value: { code: pb.ErrorCode.SERVER_FULL, message: "busy" } });
  assert.equal(session.status, "lobby", "not stuck in reconnecting");
  assert.match(session.notice, /Could not join after reconnecting \(SERVER_FULL\)/);
});

test("after the grace period no resume is tried: a fresh Join at once", () => {
  const a = playing();
  a.ws.deliver(welcome({ resumeGraceMs: 1000 }));
  a.ws.drop(1006);
  // Refused attempts at 250, 750 and 1750 ms after the drop.
  for (const wait of [250, 500, 1000]) {
    advance(wait);
    FakeSocket.all.at(-1).drop(1006);
  }
  assert.equal(a.session.status, "closed", "the grace (1 s) passed without a connection: given up");

  // Same again, but a connection comes up just after the grace.
  const b = playing();
  b.ws.deliver(welcome({ resumeGraceMs: 1000 }));
  b.ws.drop(1006);
  advance(250);
  FakeSocket.all.at(-1).drop(1006);
  advance(500); // 750 ms
  clock += 300; // the handshake is slow: 1050 ms after the drop
  const ws = handshake(FakeSocket.all.length - 1);
  assert.deepEqual(ws.sentOf("join").map((j) => [j.room, j.resumeToken]), [["ROOM1", ""]]);
  assert.match(b.session.notice, /session expired; joining room ROOM1 again as a new player/);
});

test("close codes that mean don't come back end the session", () => {
  for (const code of [1002, 1003, 1007, 1008, 1009, 4001]) {
    FakeSocket.all = [];
    const { session, storage, ws } = playing();
    ws.drop(code, "bye");
    assert.equal(session.status, "closed", `code ${code}`);
    assert.equal(session.closeCode, code);
    advance(10_000);
    assert.equal(FakeSocket.all.length, 1, `no reconnection after ${code}`);
    if (code === 4001) assert.equal(storage.map.size, 0, "the session is another tab's now");
  }
});

test("a server never reached is reported at once", () => {
  const { session } = newSession();
  FakeSocket.all[0].drop(1006);
  assert.equal(session.status, "closed");
  advance(10_000);
  assert.equal(FakeSocket.all.length, 1);
});

test("after Leave the session is over: a later drop reconnects to the lobby", () => {
  const { session, storage, ws } = playing();
  session.leave();
  assert.deepEqual(ws.sentOf("leave").length, 1);
  assert.equal(session.status, "lobby");
  assert.equal(session.room, null);
  assert.equal(storage.map.size, 0);
  advance(100);
  assert.equal(ws.sentOf("input").length, 0, "no inputs outside a room");
  ws.drop(1006);
  advance(250);
  const ws2 = handshake(1);
  assert.equal(ws2.sentOf("join").length, 0, "nothing to resume or rejoin");
  assert.equal(session.status, "lobby");
});

test("a spectator sends no inputs and comes back as a spectator", () => {
  const { session } = newSession();
  session.join({ name: "", room: "ROOM1", spectate: true });
  const ws = handshake(0);
  assert.deepEqual(ws.sentOf("join").map((j) => [j.room, j.spectate]), [["ROOM1", true]]);
  ws.deliver(welcome({ spectator: true, playerId: 0, sessionToken: "", resumeGraceMs: 0 }));
  assert.equal(session.status, "spectating");
  assert.equal(session.room.spectator, true);
  advance(500);
  assert.equal(ws.sentOf("input").length, 0);
  ws.drop(1006);
  advance(250);
  const ws2 = handshake(1);
  assert.deepEqual(ws2.sentOf("join").map((j) => [j.room, j.spectate, j.resumeToken]), [["ROOM1", true, ""]]);
});

test("Create private room sends Join{private} and remembers the code it got", () => {
  const { session } = newSession();
  session.join({ name: "pat", room: "ignored", private: true });
  const ws = handshake(0);
  assert.deepEqual(ws.sentOf("join").map((j) => [j.room, j.private]), [["", true]]);
  ws.deliver(welcome({ room: "ABC123" }));
  assert.equal(session.room.room, "ABC123");
  assert.equal(session.room.private, true);
  // A rejoin after a drop goes to the code, not to a new private room.
  ws.drop(1006);
  advance(250);
  const ws2 = handshake(1);
  ws2.deliver({ case: "error", value: { code: pb.ErrorCode.SESSION_INVALID, message: "" } });
  assert.deepEqual(ws2.sentOf("join").at(-1).room, "ABC123");
  assert.equal(ws2.sentOf("join").at(-1).private, false);
  ws2.deliver(welcome({ room: "ABC123", playerId: 8 }));
  assert.equal(session.room.private, true, "still our private room");
});

test("RosterUpdates apply to the Roster: names join and leave, leaves are recorded", () => {
  const { session, ws } = playing(); // Roster [alice]
  ws.deliver({ case: "rosterUpdate", value: { joined: [{ id: 8, name: "bob" }], left: [] } });
  assert.deepEqual([...session.names], [[7, "alice"], [8, "bob"]]);
  ws.deliver({ case: "rosterUpdate", value: { joined: [{ id: 9, name: "carl" }, { id: 10, name: "dora" }], left: [8] } });
  assert.deepEqual([...session.names], [[7, "alice"], [9, "carl"], [10, "dora"]]);
  assert.deepEqual(session.leaves, [{ id: 8, name: "bob", room: "ROOM1" }]);
  // A leave of an id we never knew is no one we saw.
  ws.deliver({ case: "rosterUpdate", value: { joined: [], left: [42] } });
  assert.equal(session.leaves.length, 1);
  assert.equal(session.rosterUpdates, 4, "the Roster and three updates");
  // A resume brings a fresh Roster: the room as it is, not a change.
  ws.drop(1006);
  advance(250);
  const ws2 = handshake(1);
  ws2.deliver(welcome({ resumed: true }));
  ws2.deliver({ case: "roster", value: { players: [{ id: 7, name: "alice" }, { id: 11, name: "eve" }] } });
  assert.equal(session.leaves.length, 1, "the Roster after a Welcome is the room as it is");
  assert.deepEqual([...session.names], [[7, "alice"], [11, "eve"]]);
});

test("the leaves kept are bounded", () => {
  const { session, ws } = playing();
  for (let id = 100; id < 400; id++) {
    ws.deliver({ case: "rosterUpdate", value: { joined: [{ id, name: `p${id}` }], left: [] } });
    ws.deliver({ case: "rosterUpdate", value: { joined: [], left: [id] } });
  }
  assert.equal(session.leaves.length, 100);
  assert.equal(session.leaves.at(-1).id, 399, "the newest are kept");
});

test("a page reload within the grace resumes the saved session", () => {
  const saved = { token: "tok-s", room: "ROOM1", name: "alice", graceMs: 15_000, leftAt: Date.now() - 2000 };
  const { session } = newSession({ resume: saved });
  assert.equal(session.joining, true);
  assert.equal(session.automatic, true, "the lobby stays hidden");
  const ws = handshake(0);
  assert.deepEqual(ws.sentOf("join").map((j) => j.resumeToken), ["tok-s"]);
  ws.deliver(welcome({ resumed: true, inputSeq: 120 }));
  assert.equal(session.status, "playing");
  assert.equal(session.inputSeq, 120);
});

test("a socket that stays silent after a Ping counts as lost", () => {
  // performance.now drives the silence check; replace it for this test.
  const realPerf = globalThis.performance;
  let t = 0;
  Object.defineProperty(globalThis, "performance", { value: { now: () => t }, configurable: true, writable: true });
  try {
    const { session, ws } = playing();
    for (let i = 0; i < 8 && session.status === "playing"; i++) {
      t += 1000;
      advance(1000);
    }
    assert.equal(session.status, "reconnecting");
    assert.match(session.closeReason, new RegExp(`no answer from the server for ${DEAD_AFTER_MS / 1000} s`));
    assert.ok(ws.closedWith, "the silent socket is closed");
    assert.ok(t > DEAD_AFTER_MS && t <= DEAD_AFTER_MS + 2000, `noticed after ${t} ms`);
  } finally {
    Object.defineProperty(globalThis, "performance", { value: realPerf, configurable: true, writable: true });
  }
});
