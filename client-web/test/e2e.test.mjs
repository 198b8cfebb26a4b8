// End-to-end: the real server binary, the embedded client, headless Chromium.
//
// The server binary comes from $SKIRMISH_BIN, default <repo>/bin/skirmish
// (`go build -o bin/skirmish ./server/cmd/skirmish`). Screenshots go to
// <repo>/test-output/. Run from client-web/: `npm test`.
//
// Assertions read window.skirmish (src/debug.ts), which the client rebuilds
// after every snapshot, its `frames` (what each animation frame drew, and
// where on the canvas), and the canvas's pixels where a player must be
// drawn. They poll until a condition holds or a deadline passes; the only
// fixed waits are how long a key is held (and between attempts). Nothing
// here measures speed: how smoothly remote players move is a property of
// the interpolation, tested deterministically in test/unit/interp.test.mjs.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const SERVER_BIN = process.env.SKIRMISH_BIN || join(REPO, "bin", "skirmish");
const OUT_DIR = join(REPO, "test-output");
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SERVER_START_MS = 15_000;
const STATE_TIMEOUT_MS = 5_000;

/**
 * Starts the server (on a free port unless `addr` names one; its admin
 * listener on another) and resolves with its base URL once it prints it.
 * The returned stop() stops the process at once (SIGINT) and is safe to
 * call twice; terminate() sends SIGTERM, which drains first, and resolves
 * when the process has exited.
 */
async function startServer(extraArgs = [], addr = "127.0.0.1:0") {
  if (!existsSync(SERVER_BIN)) {
    throw new Error(
      `server binary ${SERVER_BIN} not found: build it with ` +
        "`go build -o bin/skirmish ./server/cmd/skirmish` or set SKIRMISH_BIN",
    );
  }
  const proc = spawn(SERVER_BIN, ["-addr", addr, "-admin-addr", "127.0.0.1:0", ...extraArgs], { stdio: ["ignore", "pipe", "pipe"] });
  let output = ""; // both streams, for the error message if it never listens
  const exited = new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server printed no URL within ${SERVER_START_MS} ms; output:\n${output}`)),
      SERVER_START_MS,
    );
    const onData = (chunk) => {
      output += chunk;
      const m = /http:\/\/[^\s]+\//.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    proc.stdout.setEncoding("utf8").on("data", onData);
    proc.stderr.setEncoding("utf8").on("data", (chunk) => {
      output += chunk;
    });
    proc.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (code ${code}, signal ${signal}) before listening; output:\n${output}`));
    });
  }).catch(async (err) => {
    proc.kill("SIGKILL");
    throw err;
  });
  // Keep draining the pipes so the server never blocks on a full one.
  proc.stdout.resume();
  proc.stderr.resume();
  const end = async (signal, ms) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return exited;
    proc.kill(signal);
    const killer = setTimeout(() => proc.kill("SIGKILL"), ms);
    const how = await exited;
    clearTimeout(killer);
    return how;
  };
  const stop = () => end("SIGINT", 3000);
  const terminate = () => end("SIGTERM", 15_000);
  return { url, stop, terminate };
}

/** Starts the server again on the address a stopped one had. The kernel
 * gave that server a free port; until this one listens, another process
 * may take it, so a bind that fails is retried a few times. */
async function restartServer(url, args = []) {
  const addr = new URL(url).host;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServer(args, addr);
    } catch (err) {
      if (attempt === 10 || !/address already in use/.test(err.message)) throw err;
      await sleep(200);
    }
  }
}

/** A room id no other test uses (closed pages leave their players in
 * quick-match rooms for the resume grace period). */
function uniqueRoom(prefix) {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** A browser with a fresh profile; close() also removes the profile. */
async function launchBrowser() {
  const profile = await mkdtemp(join(tmpdir(), "skirmish-e2e-"));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 960, height: 600 },
    });
    return {
      context,
      close: async () => {
        await context.close().catch(() => {});
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
}

/** Opens a page and records its uncaught errors, so tests can assert none. */
async function openPage(context, url) {
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (err) => page.errors.push(err.message));
  await page.goto(url);
  return page;
}

function state(page) {
  return page.evaluate(() => window.skirmish ?? null);
}

/** Polls fn until it returns a value other than undefined, null or false,
 * and returns that value. */
async function pollUntil(what, fn, timeoutMs = STATE_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Polls window.skirmish until pred(state) is true; on timeout the error
 * shows the last state seen, which is what one needs to debug it. */
async function waitForState(page, what, pred, timeoutMs = STATE_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await state(page);
    if (s && pred(s)) return s;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last window.skirmish:\n${JSON.stringify(s, null, 2)}`);
    }
    await sleep(50);
  }
}

function player(s, name) {
  return s.players.find((p) => p.name === name);
}

/** The page's frame log (window.skirmish.frames) and its clock. */
function frames(page) {
  return page.evaluate(() => ({ frames: window.skirmish?.frames ?? [], now: performance.now() }));
}

/** Waits until the own player has been drawn at one spot for `ms`. */
async function waitUntilStill(page, ms = 300, timeoutMs = STATE_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { frames: f, now } = await frames(page);
    const recent = f.filter((fr) => fr.t > now - ms);
    if (recent.length >= 5 && f[0].t < now - ms && recent.every((fr) => fr.x !== null && fr.x === recent[0].x && fr.y === recent[0].y)) {
      return recent.at(-1);
    }
    if (Date.now() > deadline) throw new Error(`own player not still for ${ms} ms; recent frames:\n${JSON.stringify(recent.slice(-5))}`);
    await sleep(50);
  }
}

/** Waits until player `name` has stood at one spot in `page`'s snapshots
 * for `ms`, with inputs acknowledged; returns the state. */
async function waitUntilServerStill(page, name, ms = 300, timeoutMs = STATE_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  let since = null;
  let last = null;
  for (;;) {
    const s = await state(page);
    const p = s && player(s, name);
    if (p && s.inputAck > 0 && last && p.x === last.x && p.y === last.y) {
      if (Date.now() - since >= ms) return s;
    } else {
      since = Date.now();
    }
    last = p;
    if (Date.now() > deadline) throw new Error(`${name} not still for ${ms} ms; last state:\n${JSON.stringify(s)}`);
    await sleep(50);
  }
}

/** The fill colours of render.ts: our own player and every other one. */
const OWN_RGB = [0x4f, 0xc3, 0xf7];
const OTHER_RGB = [0xef, 0x83, 0x54];

/**
 * Reads `page`'s canvas around where its newest frame drew a player: our
 * own (`who` = "own") or the other player with id `who`. Returns the
 * colours of 8 points 4 CSS pixels from the centre, which lie inside the
 * player's disc (at least 6 px in radius), at most one of them on its
 * facing line; null when that frame drew no such player. Runs in one
 * evaluation, so no frame is drawn between the log and the pixels.
 */
function canvasAround(page, who) {
  return page.evaluate((who) => {
    const f = window.skirmish?.frames.at(-1);
    if (!f) return null;
    let { x, y } = f;
    if (who !== "own") {
      const o = f.others.find(([id]) => id === who);
      if (!o) return null;
      [, x, y] = o;
    }
    if (x === null) return null;
    const [scale, ox, oy] = f.view;
    const dpr = window.devicePixelRatio || 1;
    const ctx = document.getElementById("game").getContext("2d");
    const points = [];
    for (let k = 0; k < 8; k++) {
      const a = (k * Math.PI) / 4;
      const px = Math.round((ox + x * scale + 4 * Math.cos(a)) * dpr);
      const py = Math.round((oy + y * scale + 4 * Math.sin(a)) * dpr);
      points.push(Array.from(ctx.getImageData(px, py, 1, 1).data.slice(0, 3)));
    }
    return { x, y, points };
  }, who);
}

/** Waits until `page` draws player `who` (see canvasAround) filled with
 * `rgb`: at least 6 of the 8 points around its centre in that colour. A
 * renderer that draws nothing, or draws it elsewhere, fails this. */
async function waitUntilDrawn(page, who, rgb, what, timeoutMs = STATE_TIMEOUT_MS) {
  await page.bringToFront(); // background pages may draw no frames
  const deadline = Date.now() + timeoutMs;
  const close = (p) => p.every((v, i) => Math.abs(v - rgb[i]) <= 24);
  for (;;) {
    const c = await canvasAround(page, who);
    if (c && c.points.filter(close).length >= 6) return c;
    if (Date.now() > deadline) {
      throw new Error(`${what} not drawn in rgb(${rgb}) within ${timeoutMs} ms; the canvas around it: ${JSON.stringify(c)}`);
    }
    await sleep(50);
  }
}

/** Moves `page`'s own player `name` up or down, away from the nearer wall,
 * while it stands within 60 units of player `other`: our own player is
 * drawn on top, and would hide the other from the canvas. */
async function keepApart(page, name, other) {
  for (let i = 0; i < 3; i++) {
    const s = await state(page);
    const me = player(s, name);
    const them = player(s, other);
    if (Math.hypot(me.x - them.x, me.y - them.y) >= 60) return;
    await hold(page, me.y > s.world.height / 2 ? "KeyW" : "KeyS", 500);
    await waitUntilServerStill(page, name);
  }
  throw new Error(`${name} could not get away from ${other}`);
}

/** Holds `key` on `mover` until `page` satisfies pred (see waitForState). */
async function holdUntil(mover, key, page, what, pred, timeoutMs = STATE_TIMEOUT_MS) {
  await mover.keyboard.down(key);
  try {
    return await waitForState(page, what, pred, timeoutMs);
  } finally {
    await mover.keyboard.up(key);
  }
}

/** Which horizontal key moves away from the nearer side wall, and its sign. */
function awayFromWall(x, width) {
  return x > width / 2 ? { key: "KeyA", dir: -1 } : { key: "KeyD", dir: 1 };
}

let server;
let browser;

before(async () => {
  await mkdir(OUT_DIR, { recursive: true });
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("two players in one room see each other move", async () => {
  const alice = await openPage(browser.context, `${server.url}?name=alice&autojoin=1`);
  const a0 = await waitForState(alice, "alice to play", (s) => s.status === "playing" && player(s, "alice"));
  assert.ok(a0.room, "Welcome named a room");
  assert.equal(player(a0, "alice").id, a0.playerId);

  const bob = await openPage(browser.context, `${server.url}?name=bob&autojoin=1&room=${encodeURIComponent(a0.room)}`);
  const b0 = await waitForState(bob, "bob to see alice and bob", (s) => s.status === "playing" && player(s, "alice") && player(s, "bob"));
  assert.equal(b0.room, a0.room, "bob joined alice's room");
  assert.equal(b0.players.length, 2, "bob sees exactly two players");
  await waitForState(alice, "alice to see bob", (s) => s.players.length === 2 && player(s, "bob"));
  // Alice's own player is on her canvas, where her frame says.
  await waitUntilDrawn(alice, "own", OWN_RGB, "alice's own player on her canvas");

  // Spawn points are random; one at the right wall would leave no room to
  // move right, so first walk away from it.
  const width = b0.world.width;
  if (player(b0, "alice").x > width - 250) {
    await alice.keyboard.down("KeyA");
    await waitForState(bob, "alice to leave the right wall", (s) => player(s, "alice").x < width - 250);
    await alice.keyboard.up("KeyA");
  }

  const x0 = player(await state(bob), "alice").x;
  // 100 units: more than jitter, less than the room to the right wall.
  const moved = await holdUntil(alice, "KeyD", bob, "bob to see alice move right", (s) => player(s, "alice").x > x0 + 100);
  assert.ok(player(moved, "alice").x <= width, "alice stays in the world");
  // And bob's canvas shows her where his frame draws her.
  await waitUntilServerStill(bob, "alice");
  await keepApart(bob, "bob", "alice");
  await waitUntilDrawn(bob, player(moved, "alice").id, OTHER_RGB, "alice on bob's canvas");

  // Fire (Space sets the fire button): projectiles appear for everyone.
  const before = (await state(bob)).entities;
  await alice.keyboard.down("Space");
  try {
    await waitForState(bob, "bob to see alice's projectiles", (s) => s.entities > before);
  } finally {
    await alice.keyboard.up("Space");
  }

  // The rest of the protocol loop, seen from alice's side.
  const a1 = await waitForState(alice, "alice to have an RTT and acked inputs", (s) => s.rttMs !== null && s.inputAck > 0);
  assert.ok(a1.rttMs >= 0, `rtt ${a1.rttMs} ms`);
  assert.ok(a1.inputAck <= a1.inputSeq, `input_ack ${a1.inputAck} never exceeds the inputs sent (${a1.inputSeq})`);
  assert.ok(a1.entities >= a1.players.length, "entities count includes the players");
  const t1 = a1.tick;
  await waitForState(alice, "the server tick to advance", (s) => s.tick > t1);

  // The share link in the HUD names the room.
  const share = await alice.locator("#hud-share").textContent();
  assert.ok(share.endsWith(`?room=${encodeURIComponent(a0.room)}`), `share link ${share}`);

  await alice.screenshot({ path: join(OUT_DIR, "e2e-alice.png") });
  await bob.screenshot({ path: join(OUT_DIR, "e2e-bob.png") });
  assert.deepEqual(alice.errors, [], "no uncaught errors on alice's page");
  assert.deepEqual(bob.errors, [], "no uncaught errors on bob's page");
  await alice.close();
  await bob.close();
});

test("the lobby asks for a name, remembers it, and joins by Play or Enter", async () => {
  const page = await openPage(browser.context, server.url);
  await waitForState(page, "the handshake", (s) => s.status === "lobby");
  assert.ok(await page.locator("#lobby").isVisible(), "lobby overlay shown");
  await page.screenshot({ path: join(OUT_DIR, "e2e-lobby.png") });
  assert.equal((await state(page)).playerId, 0, "not joined before Play");

  await page.fill("#lobby-name", "  carol ");
  await page.click("#lobby-play");
  const s = await waitForState(page, "carol to play", (st) => st.status === "playing" && player(st, "carol"));
  assert.ok(s.playerId > 0);
  assert.ok(await page.locator("#lobby").isHidden(), "lobby overlay gone while playing");
  await page.screenshot({ path: join(OUT_DIR, "e2e-lobby-joined.png") });

  // A new visit (a new tab: a reload would resume the session, see the
  // resume test): the lobby again, with the name remembered; Enter joins.
  const again = await openPage(browser.context, server.url);
  await waitForState(again, "the handshake in a new tab", (st) => st.status === "lobby");
  assert.equal(await again.inputValue("#lobby-name"), "carol", "name remembered in localStorage");
  await again.focus("#lobby-name");
  await again.keyboard.press("Enter");
  await waitForState(again, "carol to play again", (st) => st.status === "playing" && player(st, "carol"));
  assert.deepEqual(page.errors, [], "no uncaught errors");
  assert.deepEqual(again.errors, [], "no uncaught errors in the new tab");
  await page.close();
  await again.close();
});

test("a closed connection shows its close code", async () => {
  // A server of its own, so that stopping it disturbs no other test; a
  // short grace period, after which the client stops trying.
  const own = await startServer(["-resume-grace", "2s"]);
  try {
    const page = await openPage(browser.context, `${own.url}?name=dave&autojoin=1`);
    await waitForState(page, "dave to play", (s) => s.status === "playing");
    await own.stop();
    const s = await waitForState(page, "the client to give up", (st) => st.status === "closed", 30_000);
    assert.ok(s.statusLog.includes("reconnecting"), `tried to reconnect first: ${s.statusLog}`);
    // Stopping the server closes every connection with 1001 (going
    // away); the reconnect attempts that follow find nobody (1006).
    assert.match(s.notice, /lost with close code 1001\)/, `notice: ${s.notice}`);
    assert.ok(await page.locator("#closed").isVisible(), "disconnected overlay shown");
    assert.ok(await page.locator("#reconnecting").isHidden(), "reconnecting banner gone");
    const text = await page.locator("#closed-text").textContent();
    assert.ok(text.includes(`Close code ${s.closeCode}`), `overlay text: ${text}`);
    assert.match(text, /Gave up reconnecting after \d+ attempts/);
    await page.screenshot({ path: join(OUT_DIR, "e2e-closed.png") });
    await page.close();
  } finally {
    await own.stop();
  }
});

test("own player moves on the first frame after a key press, before the server acknowledges it", async () => {
  const page = await openPage(browser.context, `${server.url}?name=erin&autojoin=1`);
  const s0 = await waitForState(page, "erin to play with acked inputs", (s) => s.status === "playing" && player(s, "erin") && s.inputAck > 0);
  const width = s0.world.width;
  let proven = null;
  const attempts = [];
  // An attempt is inconclusive if an Input carrying the key was sent,
  // applied and acknowledged before the next frame (possible on loopback);
  // then we try again.
  for (let attempt = 0; attempt < 6 && !proven; attempt++) {
    const still = await waitUntilStill(page);
    const { key, dir } = awayFromWall(still.x, width);
    await page.evaluate(() => {
      window.__keyAt = null;
      // Registered after the client's own listener, so the client has the
      // key by the time this runs.
      window.addEventListener("keydown", () => { window.__keyAt = performance.now(); }, { once: true });
    });
    await page.keyboard.down(key);
    try {
      await sleep(250);
    } finally {
      await page.keyboard.up(key);
    }
    const keyAt = await page.evaluate(() => window.__keyAt);
    const { frames: f } = await frames(page);
    assert.ok(keyAt !== null, "the key press reached the page");
    const i1 = f.findIndex((fr) => fr.t > keyAt);
    assert.ok(i1 > 1, "frames before and after the key press are logged");
    const [fPrev, f0, f1] = [f[i1 - 2], f[i1 - 1], f[i1]];
    const record = { keyAt, key, fPrev, f0, f1 };
    attempts.push(record);
    assert.equal(f0.x, fPrev.x, "still before the key press");
    // Inputs with seq > f0.inputSeq may carry the key; none of them may
    // be acknowledged when f1 is drawn, or this attempt proves nothing.
    if (f1.inputAck > f0.inputSeq) continue;
    assert.ok((f1.x - f0.x) * dir > 0, `drawn x moved ${key === "KeyD" ? "right" : "left"} on the first frame: ${JSON.stringify(record)}`);
    assert.equal(f1.y, f0.y, "and only sideways");
    proven = record;
  }
  assert.ok(proven, `every attempt was inconclusive: ${JSON.stringify(attempts)}`);
  await page.screenshot({ path: join(OUT_DIR, "e2e-prediction.png") });
  assert.deepEqual(page.errors, [], "no uncaught errors");
  await page.close();
});

test("with ?loss=0.1 a remote player still moves and is drawn, and the net overlay shows the loss", async () => {
  const alice = await openPage(browser.context, `${server.url}?name=amy&autojoin=1`);
  const a0 = await waitForState(alice, "amy to play", (s) => s.status === "playing" && player(s, "amy"));
  const bob = await openPage(browser.context, `${server.url}?name=ben&autojoin=1&loss=0.1&room=${encodeURIComponent(a0.room)}`);
  const b0 = await waitForState(bob, "ben to see amy", (s) => s.status === "playing" && player(s, "amy") && player(s, "ben"));
  assert.equal(b0.loss, 0.1, "the knob is on");
  const amyId = player(b0, "amy").id;
  const { key, dir } = awayFromWall(player(b0, "amy").x, b0.world.width);

  // Amy walks; ben, losing a tenth of the snapshots, sees her go and draws
  // her further on. (How smoothly is interp.test.mjs's business.)
  await bob.bringToFront();
  const drawnX = async () => (await frames(bob)).frames.at(-1)?.others.find(([id]) => id === amyId)?.[1];
  const drawn0 = await pollUntil("ben to draw amy", drawnX);
  const x0 = player(await state(bob), "amy").x;
  await holdUntil(alice, key, bob, "ben to see amy walk 100 units", (s) => (player(s, "amy").x - x0) * dir > 100);
  await pollUntil("ben to draw amy 100 units on", async () => ((await drawnX()) - drawn0) * dir > 100);
  await keepApart(bob, "ben", "amy");
  await waitUntilDrawn(bob, amyId, OTHER_RGB, "amy on ben's canvas");

  // The knob really dropped snapshots (its choice is seeded), and the
  // stats show it.
  const b1 = await waitForState(bob, "the knob to drop a snapshot", (s) => s.net.droppedByKnob > 0 && s.net.lossPct > 0);
  assert.ok(b1.net.bytesPerS > 0, `bytes/s ${b1.net.bytesPerS}`);
  assert.ok(b1.net.renderDelayMs > 0, `render delay ${b1.net.renderDelayMs} ms`);
  assert.ok(b1.net.jitterMs >= 0 && b1.net.rttMs !== null, `jitter ${b1.net.jitterMs}, rtt ${b1.net.rttMs}`);

  // The overlay: N shows it, the button hides it again.
  assert.ok(await bob.locator("#net").isHidden(), "net overlay starts hidden");
  await bob.keyboard.press("KeyN");
  await bob.locator("#net").waitFor({ state: "visible" });
  await bob.waitForFunction(() => /\d+(\.\d)? %/.test(document.getElementById("net-loss")?.textContent ?? ""));
  const text = await bob.locator("#net").textContent();
  assert.match(text, /RTT\s+\d/);
  assert.match(text, /Render delay\s+\d+ ms/);
  assert.match(text, /\?loss=/, "the induced loss is labelled");
  await bob.screenshot({ path: join(OUT_DIR, "e2e-net-overlay.png") });
  await bob.click("#hud-net");
  assert.ok(await bob.locator("#net").isHidden(), "the Net button hides it");

  assert.deepEqual(alice.errors, [], "no uncaught errors on amy's page");
  assert.deepEqual(bob.errors, [], "no uncaught errors on ben's page");
  await alice.close();
  await bob.close();
});

/** Holds `key` on `page` for `ms`. */
async function hold(page, key, ms) {
  await page.keyboard.down(key);
  try {
    await sleep(ms);
  } finally {
    await page.keyboard.up(key);
  }
}

/**
 * Samples `page` every 50 ms until stop() and records whether player `id`
 * was in its world each time (a player who left would vanish).
 */
function watchPresence(page, id) {
  const seen = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const s = await state(page);
      if (s) seen.push(s.players.some((p) => p.id === id));
      await sleep(50);
    }
  })();
  return {
    seen,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

test("a dropped connection resumes the same player; the others never see it leave", async () => {
  const room = uniqueRoom("resume");
  const alice = await openPage(browser.context, `${server.url}?name=alice&autojoin=1&room=${room}`);
  const bob = await openPage(browser.context, `${server.url}?name=bob&autojoin=1&room=${room}`);
  const b0 = await waitForState(bob, "bob to see alice and bob", (s) => s.status === "playing" && player(s, "alice") && player(s, "bob"));
  await waitForState(alice, "alice to see bob", (s) => s.status === "playing" && player(s, "bob"));
  const width = b0.world.width;

  // Change alice's state (move her), then let her stand still. (Judged
  // from snapshots: alice's page is in the background, where the browser
  // may not run animation frames.)
  const { key } = awayFromWall(player(b0, "alice").x, width);
  await hold(alice, key, 400);
  const a0 = await waitUntilServerStill(alice, "alice");
  const me0 = player(a0, "alice");
  assert.equal(me0.id, a0.playerId);
  const bobBefore = await state(bob);
  const presence = watchPresence(bob, a0.playerId);

  // Cut alice's socket as the network would: no Leave.
  await alice.evaluate(() => window.skirmish.debug.dropSocket());
  const a1 = await waitForState(
    alice,
    "alice to reconnect and resume",
    (s) => s.status === "playing" && s.resumes === 1 && player(s, "alice"),
    15_000,
  );
  const log = a1.statusLog;
  assert.deepEqual(log.slice(log.lastIndexOf("reconnecting") - 1), ["playing", "reconnecting", "playing"], `status log ${log}`);
  assert.equal(a1.playerId, a0.playerId, "the same player id");
  const me1 = player(a1, "alice");
  assert.equal(me1.id, me0.id);
  assert.ok(me1.score >= me0.score, `score ${me1.score} >= ${me0.score}`);
  assert.ok(Math.hypot(me1.x - me0.x, me1.y - me0.y) < 2, `the same entity, where it stood: ${JSON.stringify([me0, me1])}`);
  assert.match(a1.notice, /resumed/);
  assert.match(await alice.locator("#hud-notice").textContent(), /resumed/, "the HUD says so");
  assert.equal(await alice.locator("#hud-status").textContent(), "playing");
  assert.ok(await alice.locator("#reconnecting").isHidden());

  // Inputs go on from Welcome.input_seq: the server acknowledges them (an
  // ack above what we sent would mean we numbered from the wrong place) and
  // bob sees alice move again.
  const x1 = player(await state(bob), "alice").x;
  const back = awayFromWall(x1, width);
  await hold(alice, back.key, 600);
  await waitForState(bob, "bob to see alice move after the resume", (s) => Math.abs(player(s, "alice").x - x1) > 50);
  const a2 = await waitForState(alice, "inputs acknowledged after the resume", (s) => s.inputAck > a1.inputAck);
  assert.ok(a2.inputAck <= a2.inputSeq, `input_ack ${a2.inputAck} <= seq ${a2.inputSeq}`);

  await presence.stop();
  const b1 = await state(bob);
  assert.ok(presence.seen.length >= 5 && presence.seen.every(Boolean), `alice in every snapshot bob had: ${presence.seen}`);
  assert.deepEqual(b1.leaves, [], "bob saw nobody leave");
  assert.equal(b1.rosterUpdates, bobBefore.rosterUpdates, "bob got no Roster or RosterUpdate at all");
  assert.equal(b1.players.length, 2);
  await alice.screenshot({ path: join(OUT_DIR, "e2e-resumed.png") });

  // A reload within the grace period resumes too (sessionStorage).
  await alice.reload();
  const a3 = await waitForState(alice, "alice to resume after a reload", (s) => s.status === "playing" && s.resumes === 1, 15_000);
  assert.equal(a3.playerId, a0.playerId, "the same player after a reload");
  assert.ok(await alice.locator("#lobby").isHidden(), "no lobby on the way");
  assert.deepEqual((await state(bob)).leaves, [], "bob still saw nobody leave");

  // Leave ends the session: alice is back in the lobby and bob sees her go
  // (which also shows that bob's leave record works).
  await alice.click("#hud-leave");
  await waitForState(alice, "alice in the lobby", (s) => s.status === "lobby" && s.playerId === 0);
  assert.ok(await alice.locator("#lobby").isVisible(), "lobby shown after Leave");
  const b2 = await waitForState(bob, "bob to see alice leave", (s) => s.leaves.length > 0 && !player(s, "alice"));
  assert.deepEqual(b2.leaves.map((l) => l.id), [a0.playerId]);
  await alice.screenshot({ path: join(OUT_DIR, "e2e-left.png") });

  assert.deepEqual(alice.errors, [], "no uncaught errors on alice's page");
  assert.deepEqual(bob.errors, [], "no uncaught errors on bob's page");
  await alice.close();
  await bob.close();
});

test("a network that goes silent is noticed, and the session resumes when it is back", async () => {
  // Offline emulation stalls the socket without closing it, as a dead
  // Wi-Fi does; the client notices the silence, retries, and resumes.
  const profile = await launchBrowser();
  try {
    const room = uniqueRoom("offline");
    const page = await openPage(profile.context, `${server.url}?name=gus&autojoin=1&room=${room}`);
    const s0 = await waitForState(page, "gus to play", (s) => s.status === "playing" && player(s, "gus"));
    let t = Date.now();
    await profile.context.setOffline(true);
    await waitForState(page, "the silence to be noticed", (s) => s.status === "reconnecting", 15_000);
    console.log(`# silence noticed after ${Date.now() - t} ms`);
    await page.screenshot({ path: join(OUT_DIR, "e2e-reconnecting.png") });
    assert.ok(await page.locator("#reconnecting").isVisible(), "reconnecting banner shown");
    assert.equal(await page.locator("#hud-status").textContent(), "reconnecting…");
    t = Date.now();
    await profile.context.setOffline(false);
    const s1 = await waitForState(page, "gus to resume", (s) => s.status === "playing" && s.resumes === 1, 20_000);
    console.log(`# resumed ${Date.now() - t} ms after going online`);
    assert.equal(s1.playerId, s0.playerId);
    assert.deepEqual(page.errors, [], "no uncaught errors");
  } finally {
    await profile.close();
  }
});

test("a server restart: the client says so, then cannot resume, so it rejoins the same room and says so", async () => {
  // A drain that ends 2 s after SIGTERM, warning the players 1 s before.
  const drainArgs = ["-drain-timeout", "2s", "-drain-warning", "1s"];
  let own = await startServer(drainArgs);
  try {
    const room = uniqueRoom("restart");
    const page = await openPage(browser.context, `${own.url}?name=hal&autojoin=1&room=${room}`);
    await waitForState(page, "hal to play", (s) => s.status === "playing" && player(s, "hal"));
    const ended = own.terminate(); // SIGTERM: hal stays, so the drain runs out
    await waitForState(page, "the restart warning", (s) => s.status === "playing" && /Server restarting/.test(s.notice));
    assert.match(await page.locator("#hud-notice").textContent(), /Server restarting/, "the HUD says the server restarts");
    await waitForState(page, "hal to be reconnecting", (s) => s.status === "reconnecting");
    assert.equal((await state(page)).notice, "Server restarting; reconnecting…");
    assert.deepEqual(await ended, { code: 0, signal: null }, "the server exits 0 after its drain");
    // A new process: a new session key, no rooms.
    own = await restartServer(own.url, drainArgs);
    const s = await waitForState(page, "hal to play again", (st) => st.status === "playing" && player(st, "hal"), 20_000);
    assert.equal(s.room, room, "the same room id");
    assert.equal(s.resumes, 0, "not a resume");
    assert.match(s.notice, /Could not resume the session \(SESSION_INVALID\); joining room .* again as a new player/);
    assert.match(await page.locator("#hud-notice").textContent(), /new player/, "the HUD says so");
    await page.screenshot({ path: join(OUT_DIR, "e2e-rejoined.png") });
    assert.deepEqual(page.errors, [], "no uncaught errors");
    await page.close();
  } finally {
    await own.stop();
  }
});

test("Create private room shows the code and a link that brings a friend in", async () => {
  const host = await openPage(browser.context, `${server.url}?name=hana`);
  await waitForState(host, "the handshake", (s) => s.status === "lobby");
  await host.click("#lobby-private");
  const h0 = await waitForState(host, "hana in her private room", (s) => s.status === "playing" && s.privateRoom && player(s, "hana"));
  const code = h0.room;
  assert.match(code, /^[A-Za-z0-9_-]{4,32}$/, `room code ${code}`);
  assert.equal(await host.locator("#hud-room").textContent(), `${code} (private)`);
  const link = await host.locator("#hud-share").getAttribute("href");
  assert.equal(link, `${server.url}?room=${code}`);
  const rooms = await (await fetch(`${server.url}rooms`)).json();
  assert.ok(!rooms.some((r) => r.id === code), "a private room is not listed in GET /rooms");

  const guest = await openPage(browser.context, link);
  await waitForState(guest, "the guest's handshake", (s) => s.status === "lobby");
  assert.equal(await guest.locator("#lobby-room").textContent(), `You will join room ${code}.`);
  await guest.fill("#lobby-name", "ivan");
  await guest.click("#lobby-play");
  const g0 = await waitForState(guest, "ivan to see hana and ivan", (s) => s.status === "playing" && player(s, "hana") && player(s, "ivan"));
  assert.equal(g0.room, code);
  assert.equal(g0.players.length, 2);
  const h1 = await waitForState(host, "hana to see ivan", (s) => player(s, "ivan"));
  assert.equal(h1.players.length, 2);
  await host.screenshot({ path: join(OUT_DIR, "e2e-private-room.png") });
  assert.deepEqual(host.errors, []);
  assert.deepEqual(guest.errors, []);
  await host.close();
  await guest.close();
});

test("?spectate=1&room= watches: no entity, no inputs, sees the players", async () => {
  const room = uniqueRoom("watch");
  const jo = await openPage(browser.context, `${server.url}?name=jo&autojoin=1&room=${room}`);
  const kim = await openPage(browser.context, `${server.url}?name=kim&autojoin=1&room=${room}`);
  await waitForState(jo, "jo to see kim", (s) => s.status === "playing" && player(s, "kim"));
  const watchLink = await jo.locator("#hud-watch").getAttribute("href");
  assert.equal(watchLink, `${server.url}?spectate=1&room=${room}`);

  const watcher = await openPage(browser.context, watchLink);
  const w0 = await waitForState(watcher, "the spectator to see jo and kim", (s) => s.status === "spectating" && player(s, "jo") && player(s, "kim"));
  assert.equal(w0.spectator, true);
  assert.equal(w0.playerId, 0, "no entity of its own");
  assert.equal(w0.players.length, 2, "only the two players");
  // Both are on the spectator's canvas (it has no player of its own).
  await waitUntilDrawn(watcher, player(w0, "jo").id, OTHER_RGB, "jo on the spectator's canvas");
  await waitUntilDrawn(watcher, player(w0, "kim").id, OTHER_RGB, "kim on the spectator's canvas");
  assert.equal(await watcher.locator("#hud-status").textContent(), "spectating");
  assert.equal(await watcher.locator("#hud-hp").textContent(), "–");
  assert.ok(await watcher.locator("#lobby").isHidden(), "a watch link skips the lobby");
  // The players see no third player.
  assert.equal((await state(jo)).players.length, 2);

  // The spectator's view follows the game.
  const x0 = player(await state(watcher), "jo").x;
  const { key } = awayFromWall(x0, w0.world.width);
  await hold(jo, key, 600);
  await waitForState(watcher, "the spectator to see jo move", (s) => Math.abs(player(s, "jo").x - x0) > 50);
  // Keys on the spectator's page move nothing and send nothing.
  await hold(watcher, "KeyD", 300);
  const w1 = await state(watcher);
  assert.equal(w1.inputSeq, 0, "a spectator sends no inputs");
  assert.equal(w1.error, "", "so the server never answers ERROR_CODE_SPECTATOR");

  // A spectator comes back as a spectator.
  await watcher.evaluate(() => window.skirmish.debug.dropSocket());
  const w2 = await waitForState(watcher, "the spectator to come back", (s) => s.status === "spectating" && s.statusLog.includes("reconnecting") && s.players.length === 2, 15_000);
  assert.equal(w2.playerId, 0);
  assert.equal((await state(jo)).players.length, 2);
  await watcher.screenshot({ path: join(OUT_DIR, "e2e-spectator.png") });
  assert.deepEqual(watcher.errors, []);
  assert.deepEqual(jo.errors, []);
  await watcher.close();
  await jo.close();
  await kim.close();
});
