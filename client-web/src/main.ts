// Entry point: reads the URL, wires the modules together, runs the frame loop.
//
// URL parameters:
//   ?room=<id>   join that room (empty or absent: quick-match)
//   ?spectate=1  watch the room instead of playing (no lobby: joins at once)
//   ?name=<n>    prefill the name (else the one remembered from last time)
//   ?autojoin=1  skip the lobby and join at once (used by the e2e tests)
//   ?loss=<f>    test/diagnostic knob: drop the fraction f (0 to 0.95) of
//                incoming snapshots before processing them, as if the
//                network had lost them (e.g. ?loss=0.1 drops 10 %)

import { publishDebugState, recordFrame } from "./debug";
import { Hud } from "./hud";
import { aimAngle, Controls } from "./input";
import { loadName, Lobby } from "./lobby";
import { socketUrl } from "./net";
import { NetOverlay } from "./netoverlay";
import { parseLoss } from "./netstats";
import { TokenStore, type KeyValueStore } from "./reconnect";
import { Renderer } from "./render";
import { SceneBuilder, type Scene } from "./scene";
import { Session, type ControlSample } from "./session";
import { byId } from "./dom";

function start(): void {
  const pageUrl = new URL(location.href);
  const params = pageUrl.searchParams;
  const room = params.get("room") ?? "";
  const spectate = params.get("spectate") === "1";
  // A spectator needs no name, so a watch link skips the lobby.
  const autojoin = params.get("autojoin") === "1" || spectate;
  const initialName = params.get("name") ?? loadName();
  const loss = parseLoss(params.get("loss"));

  const canvas = byId<HTMLCanvasElement>("game");
  const renderer = new Renderer(canvas);
  const scenes = new SceneBuilder();
  const netOverlay = new NetOverlay(window, loss);

  // The resume token lives in memory and in sessionStorage (per tab), so
  // that a reload within the grace period resumes the same player.
  const tokens = new TokenStore(sessionStore());
  const saved = tokens.takeForResume(Date.now(), room, spectate);
  addEventListener("pagehide", () => tokens.markLeft(Date.now()));

  // The Session's control callback and the Controls' `active` check refer
  // to each other; both only run after setup (per tick, per event).
  let lastAim = 0;
  let lastScene: Scene | null = null;
  const session = new Session(
    socketUrl(location),
    (): ControlSample => {
      const c = controls.state();
      const scale = session.room?.positionScale ?? 1;
      const server = session.ownEntity;
      // Aim from where we are drawn (predicted) towards the world point
      // under the mouse. Without a mouse position (never moved over the
      // canvas) keep the previous aim rather than snapping to 0.
      const from = lastScene?.own ?? (server ? { x: server.x / scale, y: server.y / scale } : null);
      if (from && c.mouse) {
        lastAim = aimAngle(from, renderer.view.toWorld(c.mouse.x, c.mouse.y));
      }
      return { dx: c.dx, dy: c.dy, aim: lastAim, buttons: c.buttons };
    },
    undefined,
    { loss, tokens, resume: saved },
  );
  const controls = new Controls(window, canvas, () => session.status === "playing");
  const hud = new Hud(pageUrl, () => {
    controls.reset();
    session.leave();
  });

  const lobby = new Lobby(initialName, {
    room,
    spectate,
    onPlay: (name) => session.join({ name, room, spectate }),
    onCreatePrivate: (name) => session.join({ name, room: "", private: true }),
  });
  const refresh = (): void => {
    const inLobby = session.status === "connecting" || session.status === "lobby";
    // With autojoin, and while the client resumes or rejoins on its own,
    // the lobby only appears if the join failed.
    lobby.update(session, inLobby && !((autojoin || session.automatic) && session.joining));
    hud.update(session);
    netOverlay.update(session.net(), hud.height + 8);
    publishDebugState(session, loss);
  };
  session.onChange(refresh);
  netOverlay.onToggle = refresh;
  if (autojoin && !saved) session.join({ name: initialName, room, spectate });
  refresh();

  const frame = (): void => {
    const now = performance.now();
    const c = controls.state();
    lastScene = scenes.build(session, now, { dx: c.dx, dy: c.dy });
    renderer.draw(lastScene, hud.height);
    // The reconnecting banner counts down to the next attempt.
    if (session.status === "reconnecting") hud.update(session, now);
    recordFrame(lastScene, session, now, renderer.view);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

/** sessionStorage, or null where the browser refuses it (sandboxed frames,
 * some privacy modes throw on access). */
function sessionStore(): KeyValueStore | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

start();
