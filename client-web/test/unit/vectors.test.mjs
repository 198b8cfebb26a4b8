// The golden vectors of the contract (proto/testdata/vectors.json, written
// by the Go reference code): the web client's decoding (src/world.ts,
// src/roster.ts) reconstructs what every step expects and refuses what it
// must, and its movement (src/movement.ts) moves a player as the rule from
// Welcome says.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  SnapshotError,
  SnapshotHistory,
  applyRosterUpdate,
  decodeServerMessage,
  movementOf,
  rosterNames,
  stepPlayer,
  tickSeconds,
} from "../../.test-build/unit.mjs";

const vectors = JSON.parse(readFileSync(new URL("../../../proto/testdata/vectors.json", import.meta.url), "utf8"));

/** What the page's Session keeps of a room, driven by messages alone. */
class Client {
  history = new SnapshotHistory(0);
  names = new Map();
  welcome = null;

  /** Handles one ServerMessage; the world a snapshot built, if any. */
  handle(msg) {
    switch (msg.msg.case) {
      case "welcome":
        // Every Welcome starts a new baseline history.
        this.welcome = msg.msg.value;
        this.history = new SnapshotHistory(msg.msg.value.tickRate);
        this.names = new Map();
        return null;
      case "roster":
        this.names = rosterNames(msg.msg.value.players);
        return null;
      case "rosterUpdate":
        applyRosterUpdate(this.names, msg.msg.value.joined, msg.msg.value.left);
        return null;
      case "snapshot":
        return this.history.apply(msg.msg.value);
    }
    return null;
  }
}

for (const stream of vectors.streams) {
  test(`vectors: ${stream.name}`, () => {
    const c = new Client();
    stream.steps.forEach((step, i) => {
      const where = `step ${i} (${step.about})`;
      const msg = decodeServerMessage(Buffer.from(step.message, "base64"));
      const x = step.expect;
      let world = null;
      if (x.error) {
        assert.throws(() => c.handle(msg), SnapshotError, `${where}: must be refused: ${x.error}`);
      } else {
        world = c.handle(msg);
      }
      if (x.ack_tick !== undefined) assert.equal(c.history.newest?.tick ?? 0, x.ack_tick, `${where}: ack_tick`);
      if (x.room !== undefined) {
        assert.equal(c.welcome.room, x.room, where);
        assert.equal(c.welcome.playerId, x.player_id, where);
        assert.equal(c.welcome.tickRate, x.tick_rate, where);
      }
      if (x.input_ack !== undefined) assert.equal(msg.inputAck, x.input_ack, `${where}: input_ack`);
      if (x.world) {
        assert.equal(world.tick, x.world.tick, where);
        const got = [...world.entities.values()].sort((a, b) => a.id - b.id).map((e) => ({ ...e }));
        assert.deepEqual(got, x.world.entities, where);
      }
      if (x.roster) {
        const got = [...c.names].sort((a, b) => a[0] - b[0]).map(([id, name]) => ({ id, name }));
        assert.deepEqual(got, x.roster, where);
      }
    });
  });
}

for (const v of vectors.movement) {
  test(`vectors: movement ${v.name}`, () => {
    const rule = movementOf({
      movement: { speed: v.rule.speed, radius: v.rule.radius, normalizeDiagonal: v.rule.normalize_diagonal },
    });
    const dt = tickSeconds(0, v.tick_period_ns);
    const world = { width: v.world_width, height: v.world_height };
    let p = v.start;
    v.ticks.forEach((t, i) => {
      p = stepPlayer(p, { dx: t.dx, dy: t.dy }, dt, world, rule);
      for (const k of ["x", "y", "vx", "vy"]) {
        assert.ok(Math.abs(p[k] - t[k]) <= 1e-6, `tick ${i}: ${k} ${p[k]}, want ${t[k]}`);
      }
    });
  });
}
