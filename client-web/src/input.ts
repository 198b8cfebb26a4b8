// Keyboard and mouse state, turned into the values of an Input message.
//
// Keys are tracked by KeyboardEvent.code (physical position), so WASD works
// on any keyboard layout (it is ZQSD on AZERTY keyboards, as players expect).
// Movement uses the axis convention of view.ts: +y is down, so S and the
// down arrow move towards +y.

import { Button } from "./gen/skirmish/v1/skirmish_pb";
import type { Point } from "./view";

const LEFT = ["KeyA", "ArrowLeft"];
const RIGHT = ["KeyD", "ArrowRight"];
const UP = ["KeyW", "ArrowUp"];
const DOWN = ["KeyS", "ArrowDown"];
const FIRE_KEYS = ["Space"];
/** Keys whose browser default (scrolling, pressing a focused button) we
 * suppress while playing. */
const GAME_KEYS = new Set([...LEFT, ...RIGHT, ...UP, ...DOWN, ...FIRE_KEYS]);

/** Movement direction from held keys, normalized so diagonals are not faster. */
export function moveVector(held: ReadonlySet<string>): { dx: number; dy: number } {
  const any = (codes: string[]) => codes.some((c) => held.has(c));
  const dx = (any(RIGHT) ? 1 : 0) - (any(LEFT) ? 1 : 0);
  const dy = (any(DOWN) ? 1 : 0) - (any(UP) ? 1 : 0);
  const len = Math.hypot(dx, dy);
  return len === 0 ? { dx: 0, dy: 0 } : { dx: dx / len, dy: dy / len };
}

/** Aim angle in radians from `from` to `to`, both in world coordinates,
 * as the protocol wants it (0 along +x, towards +y). */
export function aimAngle(from: Point, to: Point): number {
  return Math.atan2(to.y - from.y, to.x - from.x);
}

/** What the player is doing right now. */
export interface ControlState {
  dx: number;
  dy: number;
  /** Mouse position in canvas CSS pixels, or null if it never moved over it. */
  mouse: Point | null;
  buttons: number;
}

/** Listens to the page and keeps the current control state. */
export class Controls {
  private readonly held = new Set<string>();
  private mouseDown = false;
  private mouse: Point | null = null;

  /**
   * @param active whether the game has the keyboard (we are playing); when
   *   not, keys are left to the page so the lobby's name field works.
   */
  constructor(win: Window, canvas: HTMLCanvasElement, active: () => boolean) {
    win.addEventListener("keydown", (ev) => {
      if (!active() || isTextField(ev.target)) return;
      if (GAME_KEYS.has(ev.code)) ev.preventDefault();
      this.held.add(ev.code);
    });
    // Key-ups always count, so a key pressed before leaving the game cannot
    // stay stuck down.
    win.addEventListener("keyup", (ev) => this.held.delete(ev.code));
    // A key released while the window is not focused never sends keyup.
    win.addEventListener("blur", () => this.reset());
    canvas.addEventListener("mousemove", (ev) => {
      this.mouse = { x: ev.offsetX, y: ev.offsetY };
    });
    canvas.addEventListener("mousedown", (ev) => {
      if (ev.button === 0 && active()) this.mouseDown = true;
    });
    win.addEventListener("mouseup", (ev) => {
      if (ev.button === 0) this.mouseDown = false;
    });
  }

  state(): ControlState {
    const { dx, dy } = moveVector(this.held);
    const fire = this.mouseDown || FIRE_KEYS.some((c) => this.held.has(c));
    return { dx, dy, mouse: this.mouse, buttons: fire ? Button.FIRE : 0 };
  }

  reset(): void {
    this.held.clear();
    this.mouseDown = false;
  }
}

function isTextField(target: EventTarget | null): boolean {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement;
}
