// The WebSocket connection: framing, the protocol handshake, and pings.
//
// Every frame is binary and holds exactly one protobuf message
// (ClientMessage up, ServerMessage down). This module knows nothing about
// rooms or snapshots; it hands every other ServerMessage to its owner.

import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import {
  ClientMessageSchema,
  ServerMessageSchema,
  type ServerHello,
  type ServerMessage,
} from "./gen/skirmish/v1/skirmish_pb";

export const PROTOCOL_VERSION = 1;
export const CLIENT_NAME = "skirmish-web/0.1";
const PING_INTERVAL_MS = 1000;
/** A due Ping that no Input has carried within this long goes alone. */
const PING_ALONE_AFTER_MS = 100;
/**
 * A connection that has answered nothing (no pong, no snapshot, nothing)
 * for this long after a Ping is taken for dead. A dead network path often
 * closes no socket at all (a laptop changing Wi-Fi, a NAT forgetting us):
 * the browser would only notice when TCP gives up, minutes later.
 */
export const DEAD_AFTER_MS = 4000;

/** The oneof of a ClientMessage, e.g. {case: "join", value: {name: "ann"}}. */
export type ClientPayload = MessageInitShape<typeof ClientMessageSchema>["msg"];

/** The socket URL for a page served at `loc`: the server mounts it at /ws on
 * the same host and port as the page. */
export function socketUrl(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/ws`;
}

export function encodeClientMessage(msg: ClientPayload): Uint8Array<ArrayBuffer> {
  // toBinary always allocates a plain ArrayBuffer; its declared type merely
  // allows a SharedArrayBuffer, which WebSocket.send does not accept.
  return toBinary(ClientMessageSchema, create(ClientMessageSchema, { msg })) as Uint8Array<ArrayBuffer>;
}

export function decodeServerMessage(bytes: Uint8Array): ServerMessage {
  return fromBinary(ServerMessageSchema, bytes);
}

export interface ConnectionHandlers {
  /** The handshake finished; Join may be sent from now on. */
  onHello(hello: ServerHello): void;
  /** Any server message other than hello and pong. */
  onMessage(msg: ServerMessage): void;
  /** A Pong arrived; rttMs is updated. */
  onPong(rttMs: number): void;
  /** The connection is gone; called once. */
  onClose(code: number, reason: string): void;
  /** A binary frame of `bytes` bytes arrived (before it is decoded). */
  onBytes?(bytes: number): void;
  /** Nothing arrived for DEAD_AFTER_MS after a Ping: the path is probably
   * gone though the socket is still open. */
  onSilent?(): void;
}

export class Connection {
  /** Round-trip time of the newest Ping/Pong, ms; null until the first Pong. */
  rttMs: number | null = null;

  private readonly ws: WebSocket;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private pingFallback: ReturnType<typeof setTimeout> | undefined;
  /** A Ping is to go out with the next Input. */
  private pingDue = false;
  /** Set by abandon(): no handler is called any more. */
  private abandoned = false;
  /** When the first Ping since the last received frame was sent; null if
   * something arrived since the latest Ping. */
  private unansweredSince: number | null = null;

  constructor(url: string, private readonly handlers: ConnectionHandlers) {
    this.ws = new WebSocket(url);
    // ArrayBuffer, not Blob: decoding then stays synchronous, so messages
    // are handled in the order they arrived.
    this.ws.binaryType = "arraybuffer";
    this.ws.onopen = () => {
      this.send({ case: "hello", value: { protocolVersion: PROTOCOL_VERSION, client: CLIENT_NAME } });
    };
    this.ws.onmessage = (ev: MessageEvent) => {
      if (!this.abandoned) this.receive(ev.data);
    };
    // An "error" event is always followed by "close", which carries the code.
    this.ws.onclose = (ev: CloseEvent) => {
      clearInterval(this.pingTimer);
      clearTimeout(this.pingFallback);
      if (!this.abandoned) this.handlers.onClose(ev.code, ev.reason);
    };
  }

  /** Sends one message; silently dropped unless the socket is open (inputs
   * racing a close are worthless anyway). */
  send(msg: ClientPayload): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(encodeClientMessage(msg));
    if (msg?.case === "input" && this.pingDue) this.sendPing();
  }

  /** Closes the socket; onClose follows when the server has answered. */
  close(code = 1000, reason = "client closed"): void {
    this.ws.close(code, reason);
  }

  /**
   * Forgets the connection at once, as if the network had gone: no handler
   * is called any more (not even onClose) and the socket is closed in the
   * background, without a Leave. The server sees a disconnect and keeps the
   * player for the grace period.
   */
  abandon(code = 4000, reason = "abandoned"): void {
    this.abandoned = true;
    clearInterval(this.pingTimer);
    clearTimeout(this.pingFallback);
    // CONNECTING sockets may be closed too (the browser then gives up the
    // handshake).
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) {
      this.ws.close(code, reason);
    }
  }

  private receive(data: unknown): void {
    if (!(data instanceof ArrayBuffer)) {
      console.warn("skirmish: ignoring non-binary frame");
      return;
    }
    this.unansweredSince = null;
    this.handlers.onBytes?.(data.byteLength);
    let msg: ServerMessage;
    try {
      msg = decodeServerMessage(new Uint8Array(data));
    } catch (err) {
      console.warn("skirmish: undecodable frame dropped", err);
      return;
    }
    switch (msg.msg.case) {
      case "hello":
        if (msg.msg.value.protocolVersion !== PROTOCOL_VERSION) {
          // The server refuses versions it does not speak (Error + close), so
          // this is only worth a note.
          console.warn(`skirmish: server speaks protocol ${msg.msg.value.protocolVersion}`);
        }
        this.startPinging();
        this.handlers.onHello(msg.msg.value);
        return;
      case "pong": {
        // A player's Ping waits for its room's next tick; the server says
        // how long (holdUs), which is not network time.
        const p = msg.msg.value;
        this.rttMs = Math.max(0, (nowUs() - Number(p.clientTimeUs) - p.holdUs) / 1000);
        this.handlers.onPong(this.rttMs);
        return;
      }
      default:
        this.handlers.onMessage(msg);
    }
  }

  private sendPing(): void {
    this.pingDue = false;
    clearTimeout(this.pingFallback);
    this.send({ case: "ping", value: { clientTimeUs: BigInt(nowUs()) } });
  }

  private startPinging(): void {
    clearInterval(this.pingTimer);
    const ping = () => {
      // Timers of background tabs may run late; that only delays this
      // check (a pong that arrived meanwhile cleared unansweredSince).
      const now = performance.now();
      if (this.unansweredSince === null) {
        this.unansweredSince = now;
      } else if (now - this.unansweredSince > DEAD_AFTER_MS) {
        clearInterval(this.pingTimer);
        this.handlers.onSilent?.();
        return;
      }
      // Sent right after the next Input, in the same read on the server,
      // so that the hold it reports is exact; alone if none follows soon
      // (in the lobby).
      this.pingDue = true;
      clearTimeout(this.pingFallback);
      this.pingFallback = setTimeout(() => {
        if (this.pingDue) this.sendPing();
      }, PING_ALONE_AFTER_MS);
    };
    ping(); // measure at once rather than a second from now
    this.pingTimer = setInterval(ping, PING_INTERVAL_MS);
  }
}

/** Monotonic microseconds: immune to wall-clock jumps, and the server only
 * echoes the value back. */
function nowUs(): number {
  return Math.round(performance.now() * 1000);
}
