// The net overlay: RTT, jitter, snapshot loss, bytes received per second
// and render delay. Toggled by the N key (outside text fields) and by the
// "Net" button in the HUD.

import { byId, setText } from "./dom";
import type { NetFigures } from "./session";

const TOGGLE_KEY = "KeyN";

export class NetOverlay {
  private readonly panel = byId("net");
  private readonly button = byId<HTMLButtonElement>("hud-net");
  private readonly rtt = byId("net-rtt");
  private readonly jitter = byId("net-jitter");
  private readonly loss = byId("net-loss");
  private readonly bytes = byId("net-bytes");
  private readonly delay = byId("net-delay");
  private readonly knob = byId("net-knob");

  /** @param loss the `?loss=` knob's fraction, shown when on. */
  constructor(win: Window, loss: number) {
    this.button.addEventListener("click", () => {
      this.toggle();
      // Leave the keyboard to the game: a focused button would take Space.
      this.button.blur();
    });
    win.addEventListener("keydown", (ev) => {
      if (ev.code !== TOGGLE_KEY || ev.repeat || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement) return;
      this.toggle();
    });
    this.knob.hidden = loss === 0;
    setText(byId("net-knob-value"), `${Math.round(loss * 1000) / 10} %`);
  }

  get visible(): boolean {
    return !this.panel.hidden;
  }

  toggle(): void {
    this.panel.hidden = !this.panel.hidden;
    this.button.setAttribute("aria-pressed", String(!this.panel.hidden));
    this.onToggle?.();
  }

  /** Called after every toggle (main.ts refreshes the figures at once). */
  onToggle: (() => void) | undefined;

  /**
   * Shows the figures; `top` is where the panel goes, in CSS pixels (below
   * the HUD bar, whose height varies as it wraps).
   */
  update(n: NetFigures, top: number): void {
    if (this.panel.hidden) return;
    const topPx = `${Math.round(top)}px`;
    if (this.panel.style.top !== topPx) this.panel.style.top = topPx;
    setText(this.rtt, n.rttMs === null ? "–" : `${n.rttMs.toFixed(1)} ms`);
    setText(this.jitter, `${n.jitterMs.toFixed(1)} ms`);
    setText(this.loss, `${n.lossPct.toFixed(1)} %`);
    setText(this.bytes, formatRate(n.bytesPerS));
    setText(this.delay, `${Math.round(n.renderDelayMs)} ms`);
  }
}

function formatRate(bytesPerS: number): string {
  if (bytesPerS >= 10_000) return `${(bytesPerS / 1000).toFixed(0)} kB/s`;
  if (bytesPerS >= 1000) return `${(bytesPerS / 1000).toFixed(1)} kB/s`;
  return `${Math.round(bytesPerS)} B/s`;
}
