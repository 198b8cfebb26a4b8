// The game session: the protocol flow on top of a Connection.
//
//   connecting --ServerHello--> lobby --Join..Welcome--> playing
//        any state --socket closed--> closed
//
// It owns everything the server told us (room, roster, snapshots) and sends
// one Input per server tick while playing. It feeds the netcode: the
// interpolator (others), the predictor (ourselves) and the network
// statistics. Display code reads its fields and subscribes with onChange;
// it never talks to the socket itself.

import { Connection, type ConnectionHandlers } from "./net";
import { ErrorCode, type ServerMessage, type Snapshot, type Welcome } from "./gen/skirmish/v1/skirmish_pb";
import { Interpolator } from "./interp";
import { NetStats, snapshotDropper } from "./netstats";
import { Predictor } from "./predict";
import { SnapshotError, SnapshotHistory, type Entity, type World } from "./world";

export type Status = "connecting" | "lobby" | "playing" | "closed";

/** What Welcome told us about the room we are in. */
export interface RoomInfo {
  playerId: number;
  room: string;
  mode: string;
  tickRate: number;
  worldWidth: number;
  worldHeight: number;
  positionScale: number;
}

/** The player's controls at the moment an Input is sent. */
export interface ControlSample {
  dx: number;
  dy: number;
  aim: number;
  buttons: number;
}

/** The figures of the net overlay (and window.skirmish.net). */
export interface NetFigures {
  /** Round-trip time of the newest Ping/Pong, ms; null before the first. */
  rttMs: number | null;
  /** Snapshot inter-arrival jitter, ms. */
  jitterMs: number;
  /** Snapshots missing from the tick sequence, percent of the recent ones. */
  lossPct: number;
  /** Bytes received per second (all messages), over the last second. */
  bytesPerS: number;
  /** How far in the past other entities are drawn, ms. */
  renderDelayMs: number;
  /** Snapshots received in this room, and how many of them the ?loss=
   * knob dropped. */
  snapshots: number;
  droppedByKnob: number;
}

export interface SessionOptions {
  /** Fraction of snapshots to drop on arrival: the `?loss=` test knob. */
  loss?: number;
}

export interface JoinRequest {
  name: string;
  /** Room id; empty for quick-match. */
  room: string;
}

/** The mode this client plays; "movers" is the benchmark workload. */
const MODE = "arena";

export class Session {
  status: Status = "connecting";
  /** Set while a Join is on its way and unanswered. */
  joining = false;
  room: RoomInfo | null = null;
  /** Player names by entity id, from the latest Roster. */
  names = new Map<number, string>();
  /** Newest reconstructed world and when it arrived (performance.now()). */
  latest: { world: World; receivedAtMs: number } | null = null;
  interpolator: Interpolator | null = null;
  /** Our own player's prediction; null outside a room. */
  predictor: Predictor | null = null;
  readonly netStats = new NetStats();
  /** Highest Input.seq the server applied (ServerMessage.input_ack). */
  inputAck = 0;
  /** Seq of the last Input sent. It keeps counting across rooms, so it only
   * ever increases on this connection. */
  inputSeq = 0;
  /** The latest Error from the server, readable; "" if none. */
  error = "";
  closeCode: number | null = null;
  closeReason = "";

  private readonly conn: Connection;
  private history = new SnapshotHistory(0);
  private readonly dropSnapshot: () => boolean;
  private helloDone = false;
  private pendingJoin: JoinRequest | null = null;
  private inputTimer: ReturnType<typeof setInterval> | undefined;
  private readonly listeners: Array<() => void> = [];

  /**
   * @param controls called once per tick while playing for the Input to send.
   */
  constructor(
    url: string,
    private readonly controls: () => ControlSample,
    private readonly now: () => number = () => performance.now(),
    options: SessionOptions = {},
  ) {
    this.dropSnapshot = snapshotDropper(options.loss ?? 0);
    const handlers: ConnectionHandlers = {
      onHello: () => this.handleHello(),
      onMessage: (msg) => this.handleMessage(msg),
      onPong: () => this.emit(),
      onClose: (code, reason) => this.handleClose(code, reason),
      onBytes: (n) => this.netStats.addBytes(n, this.now()),
    };
    this.conn = new Connection(url, handlers);
  }

  /** Round-trip time of the latest ping, ms. */
  get rttMs(): number | null {
    return this.conn.rttMs;
  }

  /** The net overlay's figures at local time nowMs. */
  net(nowMs: number = this.now()): NetFigures {
    return {
      rttMs: this.conn.rttMs,
      jitterMs: this.interpolator?.jitterMs ?? 0,
      lossPct: this.netStats.lossPct,
      bytesPerS: this.netStats.bytesPerS(nowMs),
      renderDelayMs: this.interpolator?.renderDelayMs ?? 0,
      snapshots: this.netStats.snapshots,
      droppedByKnob: this.netStats.dropped,
    };
  }

  /** Our own entity in the newest snapshot (absent while not in the world). */
  get ownEntity(): Entity | undefined {
    if (!this.room || !this.latest) return undefined;
    return this.latest.world.entities.get(this.room.playerId);
  }

  /** Calls fn after every change of state (status, roster, snapshot, ...). */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Asks to join a room; sent as soon as the handshake allows. */
  join(req: JoinRequest): void {
    if (this.status === "playing" || this.status === "closed" || this.joining) return;
    this.error = "";
    this.joining = true;
    if (this.helloDone) {
      this.sendJoin(req);
    } else {
      this.pendingJoin = req;
    }
    this.emit();
  }

  private sendJoin(req: JoinRequest): void {
    this.conn.send({ case: "join", value: { name: req.name, mode: MODE, room: req.room } });
  }

  private handleHello(): void {
    this.helloDone = true;
    this.status = "lobby";
    if (this.pendingJoin) {
      this.sendJoin(this.pendingJoin);
      this.pendingJoin = null;
    }
    this.emit();
  }

  private handleMessage(msg: ServerMessage): void {
    switch (msg.msg.case) {
      case "welcome":
        this.handleWelcome(msg.msg.value);
        break;
      case "roster":
        this.names = new Map(msg.msg.value.players.map((p) => [p.id, p.name]));
        break;
      case "snapshot":
        if (!this.room) return; // not in a room (yet)
        if (this.dropSnapshot()) {
          // The ?loss= knob: as if the network had lost it. Not applied,
          // so not acknowledged either.
          this.netStats.dropped++;
          return;
        }
        this.netStats.addSnapshot(msg.msg.value.tick);
        if (!this.handleSnapshot(msg.msg.value, msg.inputAck)) return;
        break;
      case "error": {
        const { code, message } = msg.msg.value;
        this.error = `${ErrorCode[code] ?? code}: ${message}`;
        // An error while joining is the answer to the Join: we stay in the
        // lobby and may try again.
        this.joining = false;
        break;
      }
      default:
        return; // unknown message (newer server): nothing changed
    }
    this.emit();
  }

  private handleWelcome(w: Welcome): void {
    this.room = {
      playerId: w.playerId,
      room: w.room,
      mode: w.mode,
      tickRate: w.tickRate,
      worldWidth: w.worldWidth,
      worldHeight: w.worldHeight,
      // A zero scale would divide by zero everywhere; 1 is the neutral guess.
      positionScale: w.positionScale || 1,
    };
    // A new room means a new tick sequence and new entity ids.
    this.history = new SnapshotHistory(w.tickRate);
    this.latest = null;
    this.names = new Map();
    this.inputAck = 0;
    this.netStats.resetSnapshots();
    const world = { width: w.worldWidth, height: w.worldHeight };
    this.interpolator = new Interpolator({ tickRate: w.tickRate, positionScale: this.room.positionScale, world });
    this.predictor = new Predictor({ tickRate: w.tickRate, world });
    this.status = "playing";
    this.joining = false;
    this.error = "";
    clearInterval(this.inputTimer);
    this.inputTimer = setInterval(() => this.sendInput(), 1000 / Math.max(w.tickRate, 1));
  }

  /** Applies a snapshot; false if it had to be dropped. */
  private handleSnapshot(snap: Snapshot, inputAck: number): boolean {
    if (!this.room || !this.interpolator || !this.predictor) return false; // not in a room (yet)
    let world: World;
    try {
      world = this.history.apply(snap);
    } catch (err) {
      if (!(err instanceof SnapshotError)) throw err;
      // Not acknowledged either (ack_tick only names reconstructed ticks),
      // so the server will base its next deltas on a tick we have.
      console.warn("skirmish: snapshot dropped:", err.message);
      return false;
    }
    const at = this.now();
    // A snapshot older than the newest (possible only if the transport
    // reordered) is still a baseline, but not news.
    const isNewest = this.history.newest === world;
    if (isNewest) this.latest = { world, receivedAtMs: at };
    this.interpolator.push(world, at);
    if (inputAck > this.inputAck) this.inputAck = inputAck;
    if (isNewest) {
      const own = world.entities.get(this.room.playerId);
      if (own) {
        const scale = this.room.positionScale;
        this.predictor.reconcile({ x: own.x / scale, y: own.y / scale }, own.hp > 0, this.inputAck, at);
      }
    }
    return true;
  }

  private sendInput(): void {
    const c = this.controls();
    this.inputSeq++;
    this.conn.send({
      case: "input",
      value: {
        seq: this.inputSeq,
        dx: c.dx,
        dy: c.dy,
        aim: c.aim,
        buttons: c.buttons,
        // Only a tick we reconstructed: the server bases deltas on it.
        ackTick: this.history.newest?.tick ?? 0,
      },
    });
    this.predictor?.sent({ seq: this.inputSeq, dx: c.dx, dy: c.dy }, this.now());
  }

  private handleClose(code: number, reason: string): void {
    clearInterval(this.inputTimer);
    this.status = "closed";
    this.joining = false;
    this.closeCode = code;
    this.closeReason = reason;
    this.emit();
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }
}
