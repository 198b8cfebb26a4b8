// End-to-end: the real server binary, the embedded client, headless Chromium.
//
// The server binary comes from $SKIRMISH_BIN, default <repo>/bin/skirmish
// (`go build -o bin/skirmish ./server/cmd/skirmish`). Screenshots go to
// <repo>/test-output/. Run from client-web/: `npm test`.
//
// Assertions read window.skirmish (src/debug.ts), which the client rebuilds
// after every snapshot, and its `frames`: what each animation frame drew.
// They poll until a condition holds or a deadline passes; the only fixed
// waits are how long a key is held (and between attempts).
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
 * Starts the server on a free port and resolves with its base URL once it
 * prints it. The process is stopped by the returned stop(), which is safe to
 * call twice.
 */
async function startServer() {
  if (!existsSync(SERVER_BIN)) {
    throw new Error(
      `server binary ${SERVER_BIN} not found: build it with ` +
        "`go build -o bin/skirmish ./server/cmd/skirmish` or set SKIRMISH_BIN",
    );
  }
  const proc = spawn(SERVER_BIN, ["-addr", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "pipe"] });
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
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    const killer = setTimeout(() => proc.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(killer);
  };
  return { url, stop };
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

  // Spawn points are random; one at the right wall would leave no room to
  // move right, so first walk away from it.
  const width = b0.world.width;
  if (player(b0, "alice").x > width - 250) {
    await alice.keyboard.down("KeyA");
    await waitForState(bob, "alice to leave the right wall", (s) => player(s, "alice").x < width - 250);
    await alice.keyboard.up("KeyA");
  }

  const x0 = player(await state(bob), "alice").x;
  await alice.keyboard.down("KeyD");
  try {
    await sleep(1000); // hold the key ~1 s, as a player would
    // At 220 units/s a second of input moves ~220 units; 100 leaves slack
    // for latency without accepting jitter as motion.
    const moved = await waitForState(bob, "bob to see alice move right", (s) => player(s, "alice").x > x0 + 100);
    assert.ok(player(moved, "alice").x <= width, "alice stays in the world");
  } finally {
    await alice.keyboard.up("KeyD");
  }

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
  assert.ok(a1.rttMs >= 0 && a1.rttMs < 1000, `rtt ${a1.rttMs} ms`);
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

  // A new visit: the lobby again, with the name remembered; Enter joins.
  await page.reload();
  await waitForState(page, "the handshake after reload", (st) => st.status === "lobby");
  assert.equal(await page.inputValue("#lobby-name"), "carol", "name remembered in localStorage");
  await page.focus("#lobby-name");
  await page.keyboard.press("Enter");
  await waitForState(page, "carol to play again", (st) => st.status === "playing" && player(st, "carol"));
  assert.deepEqual(page.errors, [], "no uncaught errors");
  await page.close();
});

test("a closed connection shows its close code", async () => {
  // A server of its own, so that stopping it disturbs no other test.
  const own = await startServer();
  try {
    const page = await openPage(browser.context, `${own.url}?name=dave&autojoin=1`);
    await waitForState(page, "dave to play", (s) => s.status === "playing");
    await own.stop();
    const s = await waitForState(page, "the close to be noticed", (st) => st.status === "closed");
    assert.ok(s.closeCode >= 1000, `close code ${s.closeCode}`);
    assert.ok(await page.locator("#closed").isVisible(), "disconnected overlay shown");
    const text = await page.locator("#closed-text").textContent();
    assert.ok(text.includes(`Close code ${s.closeCode}`), `overlay text: ${text}`);
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

test("with ?loss=0.1 a remote player still moves smoothly, and the net overlay shows it", async () => {
  const alice = await openPage(browser.context, `${server.url}?name=amy&autojoin=1`);
  const a0 = await waitForState(alice, "amy to play", (s) => s.status === "playing" && player(s, "amy"));
  const bob = await openPage(browser.context, `${server.url}?name=ben&autojoin=1&loss=0.1&room=${encodeURIComponent(a0.room)}`);
  const b0 = await waitForState(bob, "ben to see amy", (s) => s.status === "playing" && player(s, "amy") && player(s, "ben"));
  assert.equal(b0.loss, 0.1, "the knob is on");
  const amyId = player(b0, "amy").id;
  const width = b0.world.width;
  const { key, dir } = awayFromWall(player(b0, "amy").x, width);

  const HOLD_MS = 2000;
  const WINDOW_MS = 1000; // the last second of the hold: amy moves throughout
  await alice.keyboard.down(key);
  let end;
  try {
    await sleep(HOLD_MS);
    end = await bob.evaluate(() => performance.now());
  } finally {
    await alice.keyboard.up(key);
  }
  const { frames: f } = await frames(bob);
  const samples = [];
  for (const fr of f) {
    if (fr.t <= end - WINDOW_MS || fr.t > end) continue;
    const o = fr.others.find(([id]) => id === amyId);
    if (o) samples.push({ t: fr.t, x: o[1], y: o[2] });
  }
  assert.ok(samples.length >= 20, `amy drawn in ${samples.length} frames of the last second`);
  const SPEED = 220;
  const TOLERANCE = 1.5;
  const EPS = 0.5; // world units: quantization (1/4) and float slack
  let still = 0;
  let worst = 0;
  for (let i = 1; i < samples.length; i++) {
    const dt = (samples[i].t - samples[i - 1].t) / 1000;
    const d = Math.hypot(samples[i].x - samples[i - 1].x, samples[i].y - samples[i - 1].y);
    const allowed = SPEED * dt * TOLERANCE + EPS;
    worst = Math.max(worst, d / allowed);
    assert.ok(d <= allowed, `frame ${i}: amy jumped ${d.toFixed(2)} units in ${(dt * 1000).toFixed(1)} ms (allowed ${allowed.toFixed(2)})`);
    if (d === 0) still++;
  }
  const travelled = (samples.at(-1).x - samples[0].x) * dir;
  const span = (samples.at(-1).t - samples[0].t) / 1000;
  assert.ok(travelled > SPEED * span * 0.6, `amy moved ${travelled.toFixed(1)} units in ${span.toFixed(2)} s`);
  assert.ok(still <= samples.length * 0.1, `amy stood still in ${still} of ${samples.length} frames`);

  // The knob really dropped snapshots, and the stats show it.
  const b1 = await state(bob);
  assert.ok(b1.net.droppedByKnob > 0, `dropped ${b1.net.droppedByKnob}`);
  assert.ok(b1.net.lossPct > 2 && b1.net.lossPct < 30, `loss ${b1.net.lossPct}%`);
  assert.ok(b1.net.bytesPerS > 0, `bytes/s ${b1.net.bytesPerS}`);
  assert.ok(b1.net.renderDelayMs > 40 && b1.net.renderDelayMs < 300, `render delay ${b1.net.renderDelayMs} ms`);
  assert.ok(b1.net.jitterMs >= 0 && b1.net.rttMs !== null, `jitter ${b1.net.jitterMs}, rtt ${b1.net.rttMs}`);

  // The overlay: N shows it, the button hides it again.
  assert.ok(await bob.locator("#net").isHidden(), "net overlay starts hidden");
  await bob.keyboard.press("KeyN");
  await bob.locator("#net").waitFor({ state: "visible" });
  await waitForState(bob, "the overlay to fill in", () => true);
  await bob.waitForFunction(() => /\d+(\.\d)? %/.test(document.getElementById("net-loss")?.textContent ?? ""));
  const text = await bob.locator("#net").textContent();
  assert.match(text, /RTT\s+\d/);
  assert.match(text, /Render delay\s+\d+ ms/);
  assert.match(text, /\?loss=/, "the induced loss is labelled");
  await bob.screenshot({ path: join(OUT_DIR, "e2e-net-overlay.png") });
  await bob.click("#hud-net");
  assert.ok(await bob.locator("#net").isHidden(), "the Net button hides it");
  console.log(`# smoothness: ${samples.length} frames, worst step ${(worst * 100).toFixed(0)}% of allowed, ${still} still; bob net ${JSON.stringify(b1.net)}`);

  assert.deepEqual(alice.errors, [], "no uncaught errors on amy's page");
  assert.deepEqual(bob.errors, [], "no uncaught errors on ben's page");
  await alice.close();
  await bob.close();
});
