// The heads-up display, the "reconnecting" banner and the "disconnected"
// overlay.

import { byId, setText } from "./dom";
import { EntityKind } from "./gen/skirmish/v1/skirmish_pb";
import type { Session } from "./session";

/** Readable meanings of close codes, as docs/protocol.md uses them (1006
 * is the browser's own: the connection ended without a close frame). */
const CLOSE_MEANINGS: Record<number, string> = {
  1000: "closed normally",
  1001: "server shutting down or restarting",
  1002: "protocol error",
  1003: "text frame refused",
  1006: "connection lost (no close frame)",
  1007: "invalid message",
  1008: "policy violation",
  1009: "message too big",
  1011: "server error",
  4001: "session resumed on another connection (another tab or device)",
};

/** How long the HUD shows a notice while playing, ms. */
const NOTICE_MS = 10_000;

export class Hud {
  private readonly status = byId("hud-status");
  private readonly rtt = byId("hud-rtt");
  private readonly tick = byId("hud-tick");
  private readonly players = byId("hud-players");
  private readonly room = byId("hud-room");
  private readonly hp = byId("hud-hp");
  private readonly score = byId("hud-score");
  private readonly shareLine = byId("hud-share-line");
  private readonly share = byId<HTMLAnchorElement>("hud-share");
  private readonly watch = byId<HTMLAnchorElement>("hud-watch");
  private readonly leave = byId<HTMLButtonElement>("hud-leave");
  private readonly notice = byId("hud-notice");
  private readonly error = byId("hud-error");
  private readonly reconnecting = byId("reconnecting");
  private readonly reconnectingText = byId("reconnecting-text");
  private readonly closed = byId("closed");
  private readonly closedText = byId("closed-text");

  private readonly bar = byId("hud");

  /** @param onLeave called when the player presses Leave. */
  constructor(
    private readonly pageUrl: URL,
    onLeave: () => void,
  ) {
    // A reload resumes the session if it is still within its grace period
    // (main.ts keeps the token in sessionStorage), else shows the lobby.
    byId("closed-reconnect").addEventListener("click", () => location.reload());
    this.leave.addEventListener("click", () => {
      // Leave the keyboard to the game (a focused button would take Space).
      this.leave.blur();
      onLeave();
    });
  }

  /** Height of the HUD bar, CSS pixels: the world is drawn below it. */
  get height(): number {
    return this.bar.offsetHeight;
  }

  update(session: Session, nowMs: number = performance.now()): void {
    setText(this.status, statusText(session));
    setText(this.rtt, session.rttMs === null ? "–" : `${Math.round(session.rttMs)} ms`);
    const world = session.latest?.world;
    setText(this.tick, world ? String(world.tick) : "–");
    let count = 0;
    if (world) for (const e of world.entities.values()) if (e.kind === EntityKind.PLAYER) count++;
    const capacity = session.room?.capacity ?? 0;
    setText(this.players, world ? (capacity ? `${count}/${capacity}` : String(count)) : "–");
    const room = session.room?.room ?? "";
    setText(this.room, room ? (session.room?.private ? `${room} (private)` : room) : "–");
    const own = session.ownEntity;
    setText(this.hp, own ? String(own.hp) : "–");
    setText(this.score, own ? String(own.score) : "–");

    this.shareLine.hidden = room === "";
    if (room) {
      setLink(this.share, shareLink(this.pageUrl, room));
      setLink(this.watch, spectateLink(this.pageUrl, room));
    }
    const inRoom = session.status === "playing" || session.status === "spectating";
    this.leave.hidden = !inRoom;
    // In the lobby its own overlay shows the notice and the error. While
    // playing, a notice (resumed, rejoined) fades after NOTICE_MS.
    const showNotice = session.status === "reconnecting" || (inRoom && nowMs - session.noticeAtMs < NOTICE_MS);
    setText(this.notice, showNotice ? session.notice : "");
    setText(this.error, inRoom ? session.error : "");

    const rc = session.reconnect;
    this.reconnecting.hidden = session.status !== "reconnecting";
    if (session.status === "reconnecting") {
      let text = "";
      if (rc) {
        const next = rc.nextAtMs === null ? "connecting…" : `next try in ${Math.max(0, (rc.nextAtMs - nowMs) / 1000).toFixed(1)} s`;
        text = `attempt ${rc.attempt + 1} · ${next}`;
      }
      setText(this.reconnectingText, text);
    }

    this.closed.hidden = session.status !== "closed";
    if (session.status === "closed") {
      const code = session.closeCode ?? 0;
      const parts = [`Close code ${code}: ${CLOSE_MEANINGS[code] ?? "unknown code"}`];
      if (session.closeReason) parts.push(`reason: ${session.closeReason}`);
      if (session.error) parts.push(`last error: ${session.error}`);
      if (session.notice) parts.push(session.notice);
      setText(this.closedText, parts.join(" — "));
    }
  }
}

/** The HUD's status word. */
function statusText(session: Session): string {
  switch (session.status) {
    case "reconnecting":
      return "reconnecting…";
    case "spectating":
      return "spectating";
    default:
      return session.status;
  }
}

function setLink(a: HTMLAnchorElement, href: string): void {
  if (a.href !== href) {
    a.href = href;
    setText(a, href);
  }
}

/** The page's URL with only ?room=<id>: what a friend opens to join us
 * (without our name or autojoin). */
export function shareLink(pageUrl: URL, room: string): string {
  const u = new URL(pageUrl.href);
  u.search = "";
  u.hash = "";
  u.searchParams.set("room", room);
  return u.href;
}

/** The page's URL with only ?spectate=1&room=<id>: what someone opens to
 * watch the room. */
export function spectateLink(pageUrl: URL, room: string): string {
  const u = new URL(pageUrl.href);
  u.search = "";
  u.hash = "";
  u.searchParams.set("spectate", "1");
  u.searchParams.set("room", room);
  return u.href;
}
