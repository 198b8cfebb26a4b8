// The heads-up display and the "disconnected" overlay.

import { byId, setText } from "./dom";
import { EntityKind } from "./gen/skirmish/v1/skirmish_pb";
import type { Session } from "./session";

/** Readable meanings of close codes, as docs/protocol.md uses them (1006
 * is the browser's own: the connection ended without a close frame). */
const CLOSE_MEANINGS: Record<number, string> = {
  1000: "closed normally",
  1001: "server shutting down",
  1002: "protocol error",
  1003: "text frame refused",
  1006: "connection lost (no close frame)",
  1007: "invalid message",
  1008: "policy violation",
  1009: "message too big",
  1011: "server error",
};

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
  private readonly error = byId("hud-error");
  private readonly closed = byId("closed");
  private readonly closedText = byId("closed-text");

  private readonly bar = byId("hud");

  constructor(private readonly pageUrl: URL) {
    byId("closed-reconnect").addEventListener("click", () => location.reload());
  }

  /** Height of the HUD bar, CSS pixels: the world is drawn below it. */
  get height(): number {
    return this.bar.offsetHeight;
  }

  update(session: Session): void {
    setText(this.status, session.status);
    setText(this.rtt, session.rttMs === null ? "–" : `${Math.round(session.rttMs)} ms`);
    const world = session.latest?.world;
    setText(this.tick, world ? String(world.tick) : "–");
    let count = 0;
    if (world) for (const e of world.entities.values()) if (e.kind === EntityKind.PLAYER) count++;
    setText(this.players, world ? String(count) : "–");
    const room = session.room?.room ?? "";
    setText(this.room, room || "–");
    const own = session.ownEntity;
    setText(this.hp, own ? String(own.hp) : "–");
    setText(this.score, own ? String(own.score) : "–");

    this.shareLine.hidden = room === "";
    if (room) {
      const link = shareLink(this.pageUrl, room);
      if (this.share.href !== link) {
        this.share.href = link;
        setText(this.share, link);
      }
    }
    // In the lobby its own overlay shows the error.
    setText(this.error, session.status === "playing" ? session.error : "");

    this.closed.hidden = session.status !== "closed";
    if (session.status === "closed") {
      const code = session.closeCode ?? 0;
      const parts = [`Close code ${code}: ${CLOSE_MEANINGS[code] ?? "unknown code"}`];
      if (session.closeReason) parts.push(`reason: ${session.closeReason}`);
      if (session.error) parts.push(`last error: ${session.error}`);
      setText(this.closedText, parts.join(" — "));
    }
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
