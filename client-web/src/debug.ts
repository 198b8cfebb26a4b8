// window.skirmish: the client's state as plain data, for tests and for
// poking at from the devtools console. Rebuilt after every change of the
// session (every snapshot, pong, status change), never read back by the
// client itself. `frames` is the exception: a log appended to on every
// animation frame (the same array in every rebuilt object).

import { EntityKind } from "./gen/skirmish/v1/skirmish_pb";
import type { Scene } from "./scene";
import type { NetFigures, Session, Status } from "./session";

export interface DebugPlayer {
  id: number;
  name: string;
  /** Position in world units (from the newest snapshot, not interpolated). */
  x: number;
  y: number;
  hp: number;
  score: number;
}

/** One animation frame as drawn. */
export interface DebugFrame {
  /** performance.now() when the frame was drawn, ms. */
  t: number;
  /** Our own player as drawn (predicted), world units; null if absent. */
  x: number | null;
  y: number | null;
  /** input_ack of the newest snapshot applied by then, and the seq of the
   * newest Input sent by then. */
  inputAck: number;
  inputSeq: number;
  /** Every other player as drawn (interpolated): [id, x, y]. */
  others: Array<[number, number, number]>;
}

/** Frames kept in the log: 10 s at 60 frames per second. */
export const FRAME_LOG_SIZE = 600;

/** Test hooks, on window.skirmish.debug (not enumerable, so that
 * serializing window.skirmish skips them). */
export interface DebugHooks {
  /** Loses the connection as the network would (no Leave): the client
   * reconnects and resumes. */
  dropSocket(): void;
}

export interface DebugState {
  status: Status;
  /** Every status change, oldest first (the newest 50): a state that lasted
   * less than a poll interval still shows here. */
  statusLog: Status[];
  playerId: number;
  room: string;
  /** We are watching: no entity, no inputs. */
  spectator: boolean;
  /** We created the room with "Create private room". */
  privateRoom: boolean;
  /** Room capacity from Welcome (0 outside a room). */
  capacity: number;
  /** Welcomes with resumed = true so far. */
  resumes: number;
  /** Set while reconnecting: failed attempts so far. */
  reconnect: { attempt: number } | null;
  /** What the client did on its own (resumed, rejoined, gave up). */
  notice: string;
  /** Players seen leaving our rooms (RosterUpdate.left), and how many
   * Rosters and RosterUpdates arrived since the latest Welcome. */
  leaves: Array<{ id: number; name: string; room: string }>;
  rosterUpdates: number;
  /** Tick of the newest snapshot. */
  tick: number;
  rttMs: number | null;
  players: DebugPlayer[];
  /** Number of entities of any kind in the newest snapshot. */
  entities: number;
  inputAck: number;
  inputSeq: number;
  world: { width: number; height: number } | null;
  error: string;
  closeCode: number | null;
  closeReason: string;
  /** The net overlay's figures when this object was built. */
  net: NetFigures;
  /** The `?loss=` knob's fraction (0 when off). */
  loss: number;
  /** The newest FRAME_LOG_SIZE animation frames, oldest first. */
  frames: DebugFrame[];
  debug?: DebugHooks;
}

declare global {
  interface Window {
    skirmish?: DebugState;
  }
}

const frames: DebugFrame[] = [];

export function debugState(session: Session, loss: number): DebugState {
  const room = session.room;
  const world = session.latest?.world;
  const scale = room?.positionScale ?? 1;
  const players: DebugPlayer[] = [];
  if (world) {
    for (const e of world.entities.values()) {
      if (e.kind !== EntityKind.PLAYER) continue;
      players.push({
        id: e.id,
        name: session.names.get(e.id) ?? "",
        x: e.x / scale,
        y: e.y / scale,
        hp: e.hp,
        score: e.score,
      });
    }
    players.sort((a, b) => a.id - b.id);
  }
  return {
    status: session.status,
    statusLog: session.statusLog.map((e) => e.status),
    playerId: room?.playerId ?? 0,
    room: room?.room ?? "",
    spectator: room?.spectator ?? false,
    privateRoom: room?.private ?? false,
    capacity: room?.capacity ?? 0,
    resumes: session.resumes,
    reconnect: session.reconnect ? { attempt: session.reconnect.attempt } : null,
    notice: session.notice,
    leaves: session.leaves.map((l) => ({ ...l })),
    rosterUpdates: session.rosterUpdates,
    tick: world?.tick ?? 0,
    rttMs: session.rttMs,
    players,
    entities: world?.entities.size ?? 0,
    inputAck: session.inputAck,
    inputSeq: session.inputSeq,
    world: room ? { width: room.worldWidth, height: room.worldHeight } : null,
    error: session.error,
    closeCode: session.closeCode,
    closeReason: session.closeReason,
    net: session.net(),
    loss,
    frames,
  };
}

export function publishDebugState(session: Session, loss: number): void {
  const state = debugState(session, loss);
  const hooks: DebugHooks = { dropSocket: () => session.dropSocket() };
  Object.defineProperty(state, "debug", { value: hooks, enumerable: false });
  window.skirmish = state;
}

/** Appends the frame just drawn to window.skirmish.frames. */
export function recordFrame(scene: Scene | null, session: Session, nowMs: number): void {
  const others: Array<[number, number, number]> = [];
  if (scene) {
    for (const e of scene.entities) {
      if (e.kind === EntityKind.PLAYER && e !== scene.own) others.push([e.id, e.x, e.y]);
    }
  }
  frames.push({
    t: nowMs,
    x: scene?.own?.x ?? null,
    y: scene?.own?.y ?? null,
    inputAck: session.inputAck,
    inputSeq: session.inputSeq,
    others,
  });
  if (frames.length > FRAME_LOG_SIZE) frames.splice(0, frames.length - FRAME_LOG_SIZE);
}
