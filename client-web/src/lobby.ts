// The lobby overlay: a name field, Play (quick-match or the URL's room, or
// Watch with ?spectate=1) and Create private room, shown before joining.
//
// The form's submit event covers both the button and Enter in the field.
// The name is remembered in localStorage for the next visit.

import { byId, setText } from "./dom";
import type { Session } from "./session";

const NAME_KEY = "skirmish.name";

export function loadName(): string {
  try {
    return localStorage.getItem(NAME_KEY) ?? "";
  } catch {
    return ""; // storage disabled (privacy mode, sandboxed frame)
  }
}

function saveName(name: string): void {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    // Not remembering the name is no reason to stop the player.
  }
}

export interface LobbyOptions {
  /** The room from the URL; "" means quick-match. */
  room: string;
  /** ?spectate=1: the lobby offers to watch, not to play. */
  spectate: boolean;
  /** Called with the trimmed name when the player asks to play (or watch). */
  onPlay(name: string): void;
  /** Called with the trimmed name for "Create private room". */
  onCreatePrivate(name: string): void;
}

export class Lobby {
  private readonly overlay = byId("lobby");
  private readonly form = byId<HTMLFormElement>("lobby-form");
  private readonly name = byId<HTMLInputElement>("lobby-name");
  private readonly play = byId<HTMLButtonElement>("lobby-play");
  private readonly createPrivate = byId<HTMLButtonElement>("lobby-private");
  private readonly roomText = byId("lobby-room");
  private readonly notice = byId("lobby-notice");
  private readonly error = byId("lobby-error");
  private readonly playLabel: string;

  constructor(initialName: string, private readonly opts: LobbyOptions) {
    this.name.value = initialName;
    const { room, spectate } = opts;
    this.playLabel = spectate ? "Watch" : "Play";
    setText(this.play, this.playLabel);
    let text: string;
    if (spectate) text = room ? `You will watch room ${room}.` : "You will watch a public room.";
    else text = room ? `You will join room ${room}.` : "Quick match: you will join a public room.";
    setText(this.roomText, text);
    // A spectator creates nothing; a room from the URL is what the link
    // asked for.
    this.createPrivate.hidden = spectate;
    const submit = (private_: boolean): void => {
      const name = this.name.value.trim();
      saveName(name);
      if (private_) this.opts.onCreatePrivate(name);
      else this.opts.onPlay(name);
    };
    this.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      submit(false);
    });
    this.createPrivate.addEventListener("click", () => submit(true));
  }

  /** Shows or hides the overlay and reflects the session's join state. */
  update(session: Session, visible: boolean): void {
    const wasHidden = this.overlay.hidden;
    this.overlay.hidden = !visible;
    this.play.disabled = session.joining || (session.status !== "lobby" && session.status !== "connecting");
    this.createPrivate.disabled = this.play.disabled;
    setText(this.play, session.joining ? "Joining…" : this.playLabel);
    setText(this.notice, session.notice);
    setText(this.error, session.error);
    if (visible && wasHidden) this.name.focus();
  }
}
