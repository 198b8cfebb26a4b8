// Entry point: reads the URL, wires the modules together, runs the frame loop.
//
// URL parameters:
//   ?room=<id>   join that room (empty or absent: quick-match)
//   ?name=<n>    prefill the name (else the one remembered from last time)
//   ?autojoin=1  skip the lobby and join at once (used by the e2e tests)

import { publishDebugState } from "./debug";
import { Hud } from "./hud";
import { aimAngle, Controls } from "./input";
import { loadName, Lobby } from "./lobby";
import { socketUrl } from "./net";
import { Renderer } from "./render";
import { SceneBuilder } from "./scene";
import { Session, type ControlSample } from "./session";
import { byId } from "./dom";

function start(): void {
  const pageUrl = new URL(location.href);
  const params = pageUrl.searchParams;
  const room = params.get("room") ?? "";
  const autojoin = params.get("autojoin") === "1";
  const initialName = params.get("name") ?? loadName();

  const canvas = byId<HTMLCanvasElement>("game");
  const renderer = new Renderer(canvas);
  const scenes = new SceneBuilder();
  const hud = new Hud(pageUrl);

  // The Session's control callback and the Controls' `active` check refer
  // to each other; both only run after setup (per tick, per event).
  let lastAim = 0;
  const session = new Session(socketUrl(location), (): ControlSample => {
    const c = controls.state();
    const own = session.ownEntity;
    const scale = session.room?.positionScale ?? 1;
    // Aim from where the server has us towards the world point under the
    // mouse. Without a mouse position (never moved over the canvas) keep
    // the previous aim rather than snapping to 0.
    if (own && c.mouse) {
      lastAim = aimAngle({ x: own.x / scale, y: own.y / scale }, renderer.view.toWorld(c.mouse.x, c.mouse.y));
    }
    return { dx: c.dx, dy: c.dy, aim: lastAim, buttons: c.buttons };
  });
  const controls = new Controls(window, canvas, () => session.status === "playing");

  const lobby = new Lobby(initialName, room, (name) => session.join({ name, room }));
  const refresh = (): void => {
    const inLobby = session.status === "connecting" || session.status === "lobby";
    // With autojoin the lobby only appears if the join failed.
    lobby.update(session, inLobby && !(autojoin && session.joining));
    hud.update(session);
    publishDebugState(session);
  };
  session.onChange(refresh);
  if (autojoin) session.join({ name: initialName, room });
  refresh();

  const frame = (): void => {
    renderer.draw(scenes.build(session, performance.now()), hud.height);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

start();
