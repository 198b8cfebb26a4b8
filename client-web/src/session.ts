// The game session: the protocol flow on top of a Connection, across
// reconnections.
//
//   connecting --ServerHello--> lobby --Join..Welcome--> playing | spectating
//   playing/spectating --Leave--> lobby
//   any state --socket lost--> reconnecting --new socket, Hello,
//       Join{resume_token} (or a fresh Join)--> playing | spectating | lobby
//   any state --fatal close code, or no luck within the grace--> closed
//
// It owns everything the server told us (room, roster, snapshots) and sends
// one Input per server tick while playing. It feeds the netcode: the
// interpolator (others), the predictor (ourselves) and the network
// statistics. Display code reads its fields and subscribes with onChange;
// it never talks to the socket itself. reconnect.ts holds the policy
// (backoff, which closes to come back from, resume or rejoin).

import { Connection, DEAD_AFTER_MS, type ClientPayload, type ConnectionHandlers } from "./net";
import { ErrorCode, type ServerMessage, type Snapshot, type Welcome } from "./gen/skirmish/v1/skirmish_pb";
import { Interpolator } from "./interp";
import { NetStats, snapshotDropper } from "./netstats";
import { movementOf, type MovementRule } from "./movement";
import { Predictor } from "./predict";
import { applyRosterUpdate, rosterNames } from "./roster";
import {
  afterHello,
  backoffDelay,
  retryWindow,
  shouldGiveUp,
  shouldReconnect,
  TokenStore,
  type JoinIntent,
  type SavedSession,
} from "./reconnect";
import { SnapshotError, SnapshotHistory, type Entity, type World } from "./world";

export type Status = "connecting" | "lobby" | "playing" | "spectating" | "reconnecting" | "closed";

/** What Welcome told us about the room we are in. */
export interface RoomInfo {
  /** Our entity id; 0 for a spectator. */
  playerId: number;
  room: string;
  mode: string;
  tickRate: number;
  /** Simulated nanoseconds per tick (Welcome.tick_period_ns; 0 if the
   * server does not say). */
  tickPeriodNs: number;
  /** How the mode moves players; null if the server does not say (then
   * our own player is drawn like the others, without prediction). */
  movement: MovementRule | null;
  worldWidth: number;
  worldHeight: number;
  positionScale: number;
  spectator: boolean;
  /** Players the room holds. */
  capacity: number;
  /** We created it with Join{private: true} (Welcome does not say; the
   * server lists only quick-match rooms anyway). */
  private: boolean;
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

/** The state of a reconnection under way. */
export interface ReconnectInfo {
  /** Failed attempts so far (0 while the first is pending or open). */
  attempt: number;
  /** When the connection dropped (performance.now()). */
  droppedAtMs: number;
  /** When the next attempt starts; null while one is under way. */
  nextAtMs: number | null;
  /** When we stop trying. */
  giveUpAtMs: number;
}

/** A player we saw leave the room (an id in RosterUpdate.left). */
export interface RosterLeave {
  id: number;
  name: string;
  room: string;
}

export interface SessionOptions {
  /** Fraction of snapshots to drop on arrival: the `?loss=` test knob. */
  loss?: number;
  /** Where the resume token is kept (sessionStorage in the page). */
  tokens?: TokenStore;
  /** A session saved by a previous load of this page, to resume at once. */
  resume?: SavedSession | null;
  /** Random numbers in [0, 1) for the backoff jitter. */
  random?: () => number;
}

export interface JoinRequest {
  name: string;
  /** Room id; empty for quick-match (or with `private`). */
  room: string;
  /** Create a new private room; `room` is then ignored. */
  private?: boolean;
  /** Watch instead of play. */
  spectate?: boolean;
}

/** The mode this client plays; "movers" is the benchmark workload. */
const MODE = "arena";
/** Status changes kept in statusLog. */
const STATUS_LOG_SIZE = 50;
/** Leaves kept in Session.leaves. */
const LEAVES_KEPT = 100;

export class Session {
  status: Status = "connecting";
  /** Set while a Join (or a resume) is on its way and unanswered. */
  joining = false;
  room: RoomInfo | null = null;
  /** Player names by entity id: the Roster after Welcome, with every
   * RosterUpdate since applied. */
  names = new Map<number, string>();
  /** Newest reconstructed world and when it arrived (performance.now()). */
  latest: { world: World; receivedAtMs: number } | null = null;
  interpolator: Interpolator | null = null;
  /** Our own player's prediction; null outside a room. */
  predictor: Predictor | null = null;
  readonly netStats = new NetStats();
  /** Highest Input.seq the server applied (ServerMessage.input_ack). */
  inputAck = 0;
  /** Seq of the last Input sent. It keeps counting across rooms; after a
   * resume it continues after Welcome.input_seq. */
  inputSeq = 0;
  /** The latest Error from the server, readable; "" if none. */
  error = "";
  /** The server said it is restarting (ERROR_CODE_SERVER_RESTARTING) and
   * has not been reconnected to since. */
  restarting = false;
  /** When `notice` was last set (performance.now()). */
  noticeAtMs = 0;
  closeCode: number | null = null;
  closeReason = "";
  /** Set while reconnecting. */
  reconnect: ReconnectInfo | null = null;
  /** Welcomes with resumed = true on this page. */
  resumes = 0;
  /** The newest STATUS_LOG_SIZE status changes, oldest first. */
  readonly statusLog: Array<{ status: Status; atMs: number }> = [];
  /** Players seen leaving the rooms we were in (RosterUpdate.left), the
   * newest LEAVES_KEPT. */
  readonly leaves: RosterLeave[] = [];
  /** Rosters and RosterUpdates received since the latest Welcome. */
  rosterUpdates = 0;

  private noticeText = "";
  /** Close code and reason of the drop that started a reconnection. */
  private dropCode = 0;
  private conn: Connection | null = null;
  /** Counts connections; events of older ones are ignored. */
  private connGen = 0;
  private everConnected = false;
  private closedByUs = false;
  private helloDone = false;
  private history = new SnapshotHistory(0);
  private readonly dropSnapshot: () => boolean;
  private readonly tokens: TokenStore;
  private readonly random: () => number;
  private inputTimer: ReturnType<typeof setInterval> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners: Array<() => void> = [];
  private lastRtt: number | null = null;

  /** The room we are in, or the join under way; null in the lobby. */
  private intent: JoinIntent | null = null;
  /** Newest session token and its grace period; "" when none. */
  private token = "";
  private graceMs = 0;
  /** When the connection dropped (or the page went away, for a session
   * saved by the previous load); null while connected. */
  private droppedAtMs: number | null = null;
  /** A Join{resume_token} is out. */
  private resuming = false;
  /** A fresh Join that replaces a lost session is out: if it fails we go
   * back to the lobby. */
  private rejoining = false;
  /** The room id of the latest Join{private: true} Welcome. */
  private privateRoom = "";

  /**
   * @param controls called once per tick while playing for the Input to send.
   */
  constructor(
    private readonly url: string,
    private readonly controls: () => ControlSample,
    private readonly now: () => number = () => performance.now(),
    options: SessionOptions = {},
  ) {
    this.dropSnapshot = snapshotDropper(options.loss ?? 0);
    this.tokens = options.tokens ?? new TokenStore(null);
    this.random = options.random ?? Math.random;
    this.logStatus();
    const saved = options.resume;
    if (saved) {
      // The previous load of this page was playing: resume at once.
      this.token = saved.token;
      this.graceMs = saved.graceMs;
      this.intent = { name: saved.name, room: saved.room };
      this.droppedAtMs = this.now() - Math.max(0, Date.now() - saved.leftAt);
      this.joining = true;
      this.notice = `Resuming your session in room ${saved.room}…`;
    }
    this.connect();
  }

  /** What the client did on its own (resumed, rejoined, gave up), readable;
   * "" if nothing to say. */
  get notice(): string {
    return this.noticeText;
  }

  set notice(text: string) {
    this.noticeText = text;
    this.noticeAtMs = this.now();
  }

  /** Round-trip time of the latest ping, ms. */
  get rttMs(): number | null {
    return this.conn?.rttMs ?? this.lastRtt;
  }

  /** The net overlay's figures at local time nowMs. */
  net(nowMs: number = this.now()): NetFigures {
    return {
      rttMs: this.rttMs,
      jitterMs: this.interpolator?.jitterMs ?? 0,
      lossPct: this.netStats.lossPct,
      bytesPerS: this.netStats.bytesPerS(nowMs),
      renderDelayMs: this.interpolator?.renderDelayMs ?? 0,
      snapshots: this.netStats.snapshots,
      droppedByKnob: this.netStats.dropped,
    };
  }

  /** Our own entity in the newest snapshot (absent while not in the world,
   * and always for a spectator). */
  get ownEntity(): Entity | undefined {
    if (!this.room || !this.latest || this.room.spectator) return undefined;
    return this.latest.world.entities.get(this.room.playerId);
  }

  /** Whether the client is joining on its own (a resume or a rejoin), not
   * because the player pressed Play. */
  get automatic(): boolean {
    return this.resuming || this.rejoining || (this.joining && this.droppedAtMs !== null);
  }

  /** Calls fn after every change of state (status, roster, snapshot, ...). */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Asks to join a room; sent as soon as the handshake allows. */
  join(req: JoinRequest): void {
    if ((this.status !== "connecting" && this.status !== "lobby") || this.joining) return;
    this.error = "";
    this.notice = "";
    this.joining = true;
    this.intent = { name: req.name, room: req.private ? "" : req.room, private: !!req.private, spectate: !!req.spectate };
    if (this.helloDone) this.sendJoin(this.intent);
    this.emit();
  }

  /** Gives up the room (Leave) and returns to the lobby; the connection
   * stays open and the session is over (no resume). */
  leave(): void {
    if (!this.room || (this.status !== "playing" && this.status !== "spectating")) return;
    const left = this.room.room;
    this.send({ case: "leave", value: {} });
    this.forgetSession();
    this.intent = null;
    this.resetRoom();
    this.error = "";
    this.notice = `You left room ${left}.`;
    this.setStatus("lobby");
    this.emit();
  }

  /**
   * Test and diagnostic hook: loses the connection as the network would,
   * without a Leave. The server keeps the player for the grace period; we
   * reconnect and resume.
   */
  dropSocket(): void {
    this.loseConnection(1006, "connection dropped (debug hook)");
  }

  /** Gives up the current socket without a Leave and handles it as closed
   * with `code`: the reconnection (and resume) follow. */
  private loseConnection(code: number, reason: string): void {
    const conn = this.conn;
    if (!conn) return;
    conn.abandon(4000, "client gave up the connection");
    this.handleClose(this.connGen, code, reason);
  }

  /** Closes the connection for good (no reconnection). */
  close(): void {
    this.closedByUs = true;
    clearTimeout(this.retryTimer);
    if (this.conn) {
      this.conn.close();
    } else if (this.status !== "closed") {
      this.setStatus("closed");
      this.emit();
    }
  }

  private connect(): void {
    const gen = ++this.connGen;
    const live = (fn: () => void): void => {
      if (gen === this.connGen) fn();
    };
    const handlers: ConnectionHandlers = {
      onHello: () => live(() => this.handleHello()),
      onMessage: (msg) => live(() => this.handleMessage(msg)),
      onPong: (rtt) =>
        live(() => {
          this.lastRtt = rtt;
          this.emit();
        }),
      onClose: (code, reason) => this.handleClose(gen, code, reason),
      onBytes: (n) => live(() => this.netStats.addBytes(n, this.now())),
      onSilent: () => live(() => this.loseConnection(1006, `no answer from the server for ${DEAD_AFTER_MS / 1000} s`)),
    };
    this.helloDone = false;
    try {
      this.conn = new Connection(this.url, handlers);
    } catch (err) {
      // A malformed URL throws at once; treat it like a refused connection.
      console.warn("skirmish: cannot open the socket", err);
      this.conn = null;
      queueMicrotask(() => this.handleClose(gen, 1006, String(err)));
    }
  }

  private send(msg: ClientPayload): void {
    this.conn?.send(msg);
  }

  private sendJoin(intent: JoinIntent): void {
    this.send({
      case: "join",
      value: {
        name: intent.name,
        mode: MODE,
        room: intent.private ? "" : intent.room,
        private: !!intent.private,
        spectate: !!intent.spectate,
      },
    });
  }

  private handleHello(): void {
    this.helloDone = true;
    this.everConnected = true;
    const recovering = this.status === "reconnecting" || this.droppedAtMs !== null;
    const action = afterHello(
      { token: this.token, graceMs: this.graceMs, droppedAtMs: this.droppedAtMs, intent: this.intent },
      this.now(),
    );
    if (this.reconnect) this.reconnect.nextAtMs = null;
    switch (action.kind) {
      case "resume":
        this.resuming = true;
        this.joining = true;
        this.send({ case: "join", value: { resumeToken: action.token } });
        if (this.status !== "reconnecting") this.setStatus("lobby");
        break;
      case "join": {
        const intent = action.intent;
        if (recovering && this.token) {
          // The grace period is over: the server has removed the player.
          this.notice = `The session expired; joining room ${intent.room} again as a new player.`;
          this.forgetSession();
        } else if (recovering) {
          if (!intent.room) this.notice = "Reconnected; joining…";
          else if (intent.spectate) this.notice = `Reconnected; watching room ${intent.room} again.`;
          else this.notice = `Reconnected; joining room ${intent.room} again.`;
        }
        // If this Join fails, the lobby (rather than staying "reconnecting").
        this.rejoining = recovering;
        this.joining = true;
        this.sendJoin(intent);
        if (this.status !== "reconnecting") this.setStatus("lobby");
        break;
      }
      case "lobby":
        this.reconnect = null;
        this.droppedAtMs = null;
        this.restarting = false;
        if (recovering) this.notice = "Reconnected.";
        this.setStatus("lobby");
        break;
    }
    this.emit();
  }

  private handleMessage(msg: ServerMessage): void {
    switch (msg.msg.case) {
      case "welcome":
        this.handleWelcome(msg.msg.value);
        break;
      case "roster":
        this.handleRoster(msg.msg.value.players);
        break;
      case "rosterUpdate":
        this.handleRosterUpdate(msg.msg.value.joined, msg.msg.value.left);
        break;
      case "snapshot":
        if (!this.room || (this.status !== "playing" && this.status !== "spectating")) return; // not in a room (yet)
        if (this.dropSnapshot()) {
          // The ?loss= knob: as if the network had lost it. Not applied,
          // so not acknowledged either.
          this.netStats.dropped++;
          return;
        }
        this.netStats.addSnapshot(msg.msg.value.tick);
        if (!this.handleSnapshot(msg.msg.value, msg.inputAck)) return;
        break;
      case "error":
        this.handleError(msg.msg.value.code, msg.msg.value.message);
        break;
      default:
        return; // unknown message (newer server): nothing changed
    }
    this.emit();
  }

  private handleError(code: ErrorCode, message: string): void {
    const name = ErrorCode[code] ?? String(code);
    if (code === ErrorCode.SERVER_RESTARTING) {
      // A notice, not the answer to a request: the server closes us (1001)
      // shortly, and we reconnect as after any drop.
      this.restarting = true;
      this.notice = `Server restarting (${message}); you will be reconnected.`;
      return;
    }
    this.error = `${name}: ${message}`;
    if (this.resuming) {
      // The resume was refused (SESSION_EXPIRED, SESSION_INVALID, or the
      // room is closing): the player is gone or never coming back, so join
      // the same room as a new player.
      this.resuming = false;
      this.forgetSession();
      const intent = this.intent;
      if (intent && intent.room) {
        this.notice = `Could not resume the session (${name}); joining room ${intent.room} again as a new player.`;
        this.rejoining = true;
        this.joining = true;
        this.sendJoin(intent);
        return;
      }
      this.backToLobby(`Could not resume the session (${name}).`);
      return;
    }
    if (this.rejoining) {
      const room = this.intent?.room ?? "";
      this.backToLobby(room ? `Could not rejoin room ${room} (${name}).` : `Could not join after reconnecting (${name}).`);
      return;
    }
    if (this.joining) {
      // The answer to the player's Join: we stay in the lobby and may try
      // again.
      this.joining = false;
      this.intent = null;
    }
  }

  /** A lost session could not be taken up again: the lobby, saying why. */
  private backToLobby(notice: string): void {
    this.rejoining = false;
    this.joining = false;
    this.intent = null;
    this.droppedAtMs = null;
    this.reconnect = null;
    this.resetRoom();
    this.notice = notice;
    this.setStatus("lobby");
  }

  private handleWelcome(w: Welcome): void {
    const wasPrivate = !!this.intent?.private || (this.privateRoom !== "" && this.privateRoom === w.room);
    this.privateRoom = wasPrivate ? w.room : "";
    this.room = {
      playerId: w.spectator ? 0 : w.playerId,
      room: w.room,
      mode: w.mode,
      tickRate: w.tickRate,
      tickPeriodNs: w.tickPeriodNs,
      movement: movementOf(w),
      worldWidth: w.worldWidth,
      worldHeight: w.worldHeight,
      // A zero scale would divide by zero everywhere; 1 is the neutral guess.
      positionScale: w.positionScale || 1,
      spectator: w.spectator,
      capacity: w.capacity,
      private: wasPrivate,
    };
    // Every Welcome starts a new baseline history: a new room counts its
    // own ticks, and a new connection (or membership) has acknowledged
    // nothing yet, so the first snapshot is full.
    this.history = new SnapshotHistory(w.tickRate);
    this.latest = null;
    this.names = new Map();
    this.rosterUpdates = 0;
    this.netStats.resetSnapshots();
    if (w.resumed) {
      // The server applied inputs up to input_seq; the rest of what we sent
      // before the drop is lost. Continue numbering after it.
      this.inputSeq = w.inputSeq;
      this.inputAck = w.inputSeq;
      this.resumes++;
      this.notice = `Reconnected: session resumed in room ${w.room}.`;
    } else {
      this.inputAck = 0;
      if (!this.rejoining) this.notice = "";
    }
    const world = { width: w.worldWidth, height: w.worldHeight };
    const rule = this.room.movement;
    this.interpolator = new Interpolator({
      tickRate: w.tickRate,
      positionScale: this.room.positionScale,
      world,
      playerRadius: rule?.radius ?? 0,
    });
    this.predictor =
      w.spectator || !rule ? null : new Predictor({ tickRate: w.tickRate, tickPeriodNs: w.tickPeriodNs, world, rule });

    const name = this.intent?.name ?? "";
    this.intent = { name, room: w.room, spectate: w.spectator };
    this.token = w.spectator ? "" : w.sessionToken;
    this.graceMs = w.resumeGraceMs;
    if (this.token) {
      this.tokens.save({ token: this.token, room: w.room, name, graceMs: this.graceMs });
    } else {
      this.tokens.clear();
    }
    this.resuming = false;
    this.rejoining = false;
    this.joining = false;
    this.restarting = false;
    this.droppedAtMs = null;
    this.reconnect = null;
    this.error = "";
    this.setStatus(w.spectator ? "spectating" : "playing");
    clearInterval(this.inputTimer);
    // A spectator sends no inputs (the server would answer
    // ERROR_CODE_SPECTATOR).
    if (!w.spectator) this.inputTimer = setInterval(() => this.sendInput(), 1000 / Math.max(w.tickRate, 1));
  }

  /** The full Roster that follows each Welcome: the room as it is. */
  private handleRoster(players: ReadonlyArray<{ id: number; name: string }>): void {
    this.names = rosterNames(players);
    this.rosterUpdates++;
  }

  /** A RosterUpdate: who joined and who left since the last one. */
  private handleRosterUpdate(joined: ReadonlyArray<{ id: number; name: string }>, left: ReadonlyArray<number>): void {
    for (const { id, name } of applyRosterUpdate(this.names, joined, left)) {
      if (this.room) this.recordLeave({ id, name, room: this.room.room });
    }
    this.rosterUpdates++;
  }

  /** Keeps the newest LEAVES_KEPT leaves: other players' churn must not
   * grow the page's memory without bound. */
  private recordLeave(leave: RosterLeave): void {
    this.leaves.push(leave);
    if (this.leaves.length > LEAVES_KEPT) this.leaves.splice(0, this.leaves.length - LEAVES_KEPT);
  }

  /** Applies a snapshot; false if it had to be dropped. */
  private handleSnapshot(snap: Snapshot, inputAck: number): boolean {
    if (!this.room || !this.interpolator) return false; // not in a room (yet)
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
    if (isNewest && this.predictor) {
      const own = world.entities.get(this.room.playerId);
      if (own) {
        const scale = this.room.positionScale;
        this.predictor.reconcile({ x: own.x / scale, y: own.y / scale }, own.hp > 0, this.inputAck, at);
      }
    }
    return true;
  }

  private sendInput(): void {
    if (this.status !== "playing") return;
    const c = this.controls();
    this.inputSeq++;
    this.send({
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

  private handleClose(gen: number, code: number, reason: string): void {
    if (gen !== this.connGen) return; // an abandoned connection
    clearInterval(this.inputTimer);
    this.conn = null;
    this.helloDone = false;
    this.closeCode = code;
    this.closeReason = reason;
    this.joining = false;
    this.resuming = false;
    const now = this.now();
    if (!shouldReconnect(code, { closedByUs: this.closedByUs, everConnected: this.everConnected })) {
      if (code === 4001) {
        // Another tab or device resumed our player: the token is theirs.
        this.forgetSession();
      }
      this.reconnect = null;
      this.setStatus("closed");
      this.emit();
      return;
    }
    if (this.status !== "reconnecting") {
      // The drop itself. (A drop right after a page reload that was
      // resuming keeps the earlier drop time.)
      if (this.droppedAtMs === null) {
        this.droppedAtMs = now;
        this.tokens.markLeft(Date.now());
      }
      this.dropCode = code;
      this.reconnect = { attempt: 0, droppedAtMs: this.droppedAtMs, nextAtMs: null, giveUpAtMs: 0 };
      this.notice = this.restarting ? "Server restarting; reconnecting…" : "Connection lost; reconnecting…";
      this.setStatus("reconnecting");
    } else if (this.reconnect) {
      this.reconnect.attempt++;
    }
    const info = this.reconnect ?? { attempt: 0, droppedAtMs: now, nextAtMs: null, giveUpAtMs: 0 };
    const grace = this.token ? this.graceMs : 0;
    info.giveUpAtMs = info.droppedAtMs + retryWindow(grace);
    if (info.attempt > 0 && shouldGiveUp(now - info.droppedAtMs, grace)) {
      const secs = ((now - info.droppedAtMs) / 1000).toFixed(1);
      this.notice = `Gave up reconnecting after ${info.attempt} attempts in ${secs} s (the connection was lost with close code ${this.dropCode}).`;
      this.reconnect = null;
      this.setStatus("closed");
      this.emit();
      return;
    }
    const delay = backoffDelay(info.attempt, this.random);
    info.nextAtMs = now + delay;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.status !== "reconnecting" || this.closedByUs) return;
      info.nextAtMs = null;
      this.connect();
      this.emit();
    }, delay);
    this.emit();
  }

  /** The session can no longer be resumed: forget its token. */
  private forgetSession(): void {
    this.token = "";
    this.tokens.clear();
  }

  private resetRoom(): void {
    clearInterval(this.inputTimer);
    this.room = null;
    this.latest = null;
    this.interpolator = null;
    this.predictor = null;
    this.names = new Map();
    this.rosterUpdates = 0;
    this.inputAck = 0;
    this.privateRoom = "";
    this.history = new SnapshotHistory(0);
    this.netStats.resetSnapshots();
  }

  private setStatus(s: Status): void {
    if (this.status === s && this.statusLog.length > 0) return;
    this.status = s;
    this.logStatus();
  }

  private logStatus(): void {
    this.statusLog.push({ status: this.status, atMs: this.now() });
    if (this.statusLog.length > STATUS_LOG_SIZE) this.statusLog.splice(0, this.statusLog.length - STATUS_LOG_SIZE);
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }
}
