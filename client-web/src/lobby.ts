// The lobby overlay: a name field and a Play button, shown before joining.
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

export class Lobby {
  private readonly overlay = byId("lobby");
  private readonly form = byId<HTMLFormElement>("lobby-form");
  private readonly name = byId<HTMLInputElement>("lobby-name");
  private readonly play = byId<HTMLButtonElement>("lobby-play");
  private readonly roomText = byId("lobby-room");
  private readonly error = byId("lobby-error");

  /**
   * @param room the room from the URL; "" means quick-match.
   * @param onPlay called with the trimmed name when the player asks to play.
   */
  constructor(initialName: string, room: string, onPlay: (name: string) => void) {
    this.name.value = initialName;
    setText(this.roomText, room ? `You will join room ${room}.` : "Quick match: you will join a public room.");
    this.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const name = this.name.value.trim();
      saveName(name);
      onPlay(name);
    });
  }

  /** Shows or hides the overlay and reflects the session's join state. */
  update(session: Session, visible: boolean): void {
    const wasHidden = this.overlay.hidden;
    this.overlay.hidden = !visible;
    this.play.disabled = session.joining;
    setText(this.play, session.joining ? "Joining…" : "Play");
    setText(this.error, session.error);
    if (visible && wasHidden) this.name.focus();
  }
}
