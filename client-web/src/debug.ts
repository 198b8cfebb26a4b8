// window.skirmish: the client's state as plain data, for tests and for
// poking at from the devtools console. Rebuilt after every change of the
// session (every snapshot, pong, status change), never read back by the
// client itself.

import { EntityKind } from "./gen/skirmish/v1/skirmish_pb";
import type { Session, Status } from "./session";

export interface DebugPlayer {
  id: number;
  name: string;
  /** Position in world units (from the newest snapshot, not interpolated). */
  x: number;
  y: number;
  hp: number;
  score: number;
}

export interface DebugState {
  status: Status;
  playerId: number;
  room: string;
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
}

declare global {
  interface Window {
    skirmish?: DebugState;
  }
}

export function debugState(session: Session): DebugState {
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
    playerId: room?.playerId ?? 0,
    room: room?.room ?? "",
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
  };
}

export function publishDebugState(session: Session): void {
  window.skirmish = debugState(session);
}
