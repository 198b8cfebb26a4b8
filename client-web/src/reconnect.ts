// Reconnection policy: which closes are worth coming back from, how long to
// wait between attempts, what to ask for once a new connection is up, and
// where the resume token is kept. Pure (no DOM, no sockets); session.ts
// drives it and test/unit/reconnect.test.mjs pins it down.
//
// The flow (docs/protocol.md, "Sessions and resume"): when the socket closes
// without our Leave, the server keeps the player for Welcome.resume_grace_ms.
// We open a new connection after a backoff, send Hello, then
// Join{resume_token}; Welcome{resumed: true} gives the same player back. A
// refused resume (SESSION_EXPIRED, SESSION_INVALID), or a grace period that
// has already passed, falls back to a fresh Join of the same room.

/** First retry delay, ms; it doubles per failed attempt up to BACKOFF_MAX_MS. */
export const BACKOFF_BASE_MS = 250;
export const BACKOFF_MAX_MS = 4000;
/**
 * Jitter: each delay is drawn uniformly from [(1 - JITTER) * d, d] for the
 * nominal delay d, so that clients dropped together (a server restart, a
 * flapping router) do not all come back in the same instant.
 */
export const JITTER = 0.5;
/** How long to keep retrying when there is no session to resume (lobby,
 * spectator, a server that gives no grace), ms. */
export const DEFAULT_RETRY_WINDOW_MS = 15_000;

/**
 * Close codes after which coming back would not help (docs/protocol.md,
 * "Close codes"): the server found us misbehaving (1002 protocol error, 1003
 * text frame, 1007 invalid message, 1008 policy, 1009 message too big) and
 * would do so again, or another connection resumed our session (4001): a
 * second tab or device now owns the player, and resuming here would take it
 * back from there, and so on forever.
 */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([1002, 1003, 1007, 1008, 1009, 4001]);

/** The nominal delay before retry number `attempt` (0-based), ms. */
export function nominalBackoff(attempt: number): number {
  const n = Math.max(0, Math.floor(attempt));
  // 2^n overflows to Infinity for large n, which min() then caps.
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** n);
}

/** The jittered delay before retry number `attempt`; `random` returns a
 * number in [0, 1) (injectable for tests). */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const d = nominalBackoff(attempt);
  const r = Math.min(Math.max(random(), 0), 1);
  return d * (1 - JITTER * r);
}

export interface CloseContext {
  /** We closed the socket ourselves (page leaving, an explicit close). */
  closedByUs: boolean;
  /** A handshake ever succeeded on some connection of this page. If not,
   * the server is not there (or not a Skirmish server): say so at once
   * rather than retrying into the void. */
  everConnected: boolean;
}

/** Whether a socket that closed with `code` should be reopened. */
export function shouldReconnect(code: number, ctx: CloseContext): boolean {
  if (ctx.closedByUs || !ctx.everConnected) return false;
  return !FATAL_CLOSE_CODES.has(code);
}

/**
 * How long after the drop to keep retrying, ms: a player's grace period
 * (after it, the server has removed the player, so there is nothing left to
 * resume), else DEFAULT_RETRY_WINDOW_MS.
 */
export function retryWindow(graceMs: number): number {
  return graceMs > 0 ? graceMs : DEFAULT_RETRY_WINDOW_MS;
}

/** Whether to stop retrying after a failed attempt, `elapsedMs` after the
 * drop. */
export function shouldGiveUp(elapsedMs: number, graceMs: number): boolean {
  return elapsedMs >= retryWindow(graceMs);
}

/** A room membership to come back to. */
export interface JoinIntent {
  name: string;
  /** Room id; "" for quick-match (only before the first Welcome). */
  room: string;
  /** Create a private room (only before the first Welcome: afterwards
   * `room` holds its code). */
  private?: boolean;
  spectate?: boolean;
}

export interface ResumeState {
  /** Newest Welcome.session_token; "" if none (spectator, no Welcome yet,
   * a server without sessions). */
  token: string;
  /** Welcome.resume_grace_ms of that token. */
  graceMs: number;
  /** When the connection dropped (same clock as `now`), or null. */
  droppedAtMs: number | null;
  /** What to rejoin: the room we were in, or the join that was under way.
   * Null: we were in the lobby. */
  intent: JoinIntent | null;
}

export type AfterHello =
  | { kind: "resume"; token: string }
  | { kind: "join"; intent: JoinIntent }
  | { kind: "lobby" };

/**
 * What to send once a (re)connection has finished its handshake: resume
 * while the grace period lasts, else join the same room afresh, else
 * nothing (the lobby).
 */
export function afterHello(s: ResumeState, nowMs: number): AfterHello {
  if (s.token && s.intent && !s.intent.spectate) {
    const elapsed = s.droppedAtMs === null ? 0 : nowMs - s.droppedAtMs;
    if (elapsed < s.graceMs) return { kind: "resume", token: s.token };
  }
  if (s.intent) return { kind: "join", intent: s.intent };
  return { kind: "lobby" };
}

// --- The token across page reloads -------------------------------------

/** The sessionStorage key. sessionStorage is per tab: a reload keeps it, a
 * new tab starts empty (a duplicated tab gets a copy, and resuming there
 * takes the player over from the original tab, which is closed with 4001
 * and stays closed). */
export const SAVED_SESSION_KEY = "skirmish.session";

export interface SavedSession {
  token: string;
  room: string;
  name: string;
  graceMs: number;
  /** Date.now() when the connection dropped or the page went away
   * (pagehide); 0 while connected. A token without it (the page crashed)
   * is not used. */
  leftAt: number;
}

/** The subset of Storage we use (a Map-backed fake in tests). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Keeps the newest token in memory and, if storage allows, in
 * sessionStorage so that a reload within the grace period resumes. Storage
 * failures (privacy modes, sandboxed frames) only cost that convenience. */
export class TokenStore {
  constructor(private readonly storage: KeyValueStore | null) {}

  save(s: Omit<SavedSession, "leftAt">): void {
    this.write({ ...s, leftAt: 0 });
  }

  /**
   * The connection dropped, or the page is going away: stamp the time so
   * that the next load can tell whether the grace period has passed. The
   * earliest stamp wins (a reload while reconnecting counts from the drop);
   * save() clears it.
   */
  markLeft(now: number): void {
    const s = this.read();
    if (s && s.leftAt <= 0) this.write({ ...s, leftAt: now });
  }

  clear(): void {
    try {
      this.storage?.removeItem(SAVED_SESSION_KEY);
    } catch {
      // nothing to do
    }
  }

  /**
   * The saved session worth resuming on page load at `now`, or null: only
   * if the page left less than the grace period ago and the URL does not
   * ask for another room (`urlRoom` "" means any) or to spectate. It is
   * removed from storage either way: a token works once.
   */
  takeForResume(now: number, urlRoom: string, spectate: boolean): SavedSession | null {
    const s = this.read();
    this.clear();
    if (!s || spectate || s.leftAt <= 0) return null;
    if (urlRoom !== "" && urlRoom !== s.room) return null;
    const elapsed = now - s.leftAt;
    if (elapsed < 0 || elapsed >= s.graceMs) return null;
    return s;
  }

  private read(): SavedSession | null {
    let raw: string | null = null;
    try {
      raw = this.storage?.getItem(SAVED_SESSION_KEY) ?? null;
    } catch {
      return null;
    }
    if (!raw) return null;
    try {
      const v = JSON.parse(raw) as Partial<SavedSession>;
      if (typeof v.token !== "string" || !v.token || typeof v.room !== "string") return null;
      return {
        token: v.token,
        room: v.room,
        name: typeof v.name === "string" ? v.name : "",
        graceMs: typeof v.graceMs === "number" ? v.graceMs : 0,
        leftAt: typeof v.leftAt === "number" ? v.leftAt : 0,
      };
    } catch {
      return null;
    }
  }

  private write(s: SavedSession): void {
    try {
      this.storage?.setItem(SAVED_SESSION_KEY, JSON.stringify(s));
    } catch {
      // storage full or disabled: the in-memory token still works
    }
  }
}
