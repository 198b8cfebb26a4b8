// Drawing a Scene on the canvas.
//
// The canvas fills the window; the whole world is scaled to fit it (see
// view.ts for the axis convention). The canvas backing store is sized in
// device pixels so that drawing stays sharp on high-DPI screens, while all
// drawing code works in CSS pixels.

import { EntityKind } from "./gen/skirmish/v1/skirmish_pb";
import type { RenderEntity } from "./interp";
import type { Scene } from "./scene";
import { Viewport } from "./view";

// Entity sizes in world units. A player's radius comes with the room's
// movement rule (Scene.playerRadius); the protocol does not carry the
// others, so these copy the arena's collision radii (game/arena/rules.go)
// so that what players see is what they hit; update them together.
const PROJECTILE_RADIUS = 5;
const PICKUP_HALF = 12;
// Lower bounds in CSS pixels, so that a big world on a small screen still
// shows something one can see.
const MIN_PLAYER_PX = 6;
const MIN_PROJECTILE_PX = 2;
const MIN_PICKUP_PX = 4;

const COLORS = {
  page: "#101318",
  world: "#1b2129",
  grid: "#252d38",
  border: "#3b4656",
  own: "#4fc3f7",
  ownRing: "#ffffff",
  other: "#ef8354",
  projectile: "#ffd54f",
  pickup: "#66bb6a",
  name: "#e8eaed",
  hpBack: "#5c1f1f",
  hpFill: "#66bb6a",
};

export class Renderer {
  /** The current world-to-canvas mapping; input.ts aims with it too. */
  readonly view = new Viewport();
  private readonly ctx: CanvasRenderingContext2D;
  private cssWidth = 0;
  private cssHeight = 0;

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error("canvas 2d context unavailable");
    this.ctx = ctx;
  }

  /**
   * Draws one frame; a null scene (not in a room) draws the background.
   * The world is fitted below `top` CSS pixels, which the HUD covers.
   */
  draw(scene: Scene | null, top: number): void {
    this.resize();
    const ctx = this.ctx;
    ctx.fillStyle = COLORS.page;
    ctx.fillRect(0, 0, this.cssWidth, this.cssHeight);
    if (!scene) return;
    this.view.fit(this.cssWidth, this.cssHeight, scene.worldWidth, scene.worldHeight, top);
    this.drawWorld(scene.worldWidth, scene.worldHeight);

    // Painter's order: things on the floor first, players on top, the dead
    // under the living, and ourselves above everyone.
    const rank = (e: RenderEntity): number =>
      e.kind === EntityKind.PICKUP ? 0
      : e.kind === EntityKind.PROJECTILE ? 1
      : e.hp <= 0 ? 2
      : e.id === scene.own?.id ? 4
      : 3;
    const sorted = [...scene.entities].sort((a, b) => rank(a) - rank(b) || a.id - b.id);
    for (const e of sorted) {
      switch (e.kind) {
        case EntityKind.PICKUP:
          this.drawPickup(e);
          break;
        case EntityKind.PROJECTILE:
          this.drawProjectile(e);
          break;
        case EntityKind.PLAYER:
          this.drawPlayer(e, e.id === scene.own?.id, scene.names.get(e.id) ?? `#${e.id}`, scene.maxHp, scene.playerRadius);
          break;
        default:
          // An entity kind newer than this client: draw nothing rather than
          // guess.
          break;
      }
    }
  }

  private resize(): void {
    const dpr = window.devicePixelRatio || 1;
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    const pw = Math.round(w * dpr);
    const ph = Math.round(h * dpr);
    if (this.canvas.width !== pw || this.canvas.height !== ph) {
      this.canvas.width = pw;
      this.canvas.height = ph;
    }
    this.cssWidth = w;
    this.cssHeight = h;
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }

  private drawWorld(width: number, height: number): void {
    const ctx = this.ctx;
    const v = this.view;
    const tl = v.toScreen(0, 0);
    const w = width * v.scale;
    const h = height * v.scale;
    ctx.fillStyle = COLORS.world;
    ctx.fillRect(tl.x, tl.y, w, h);
    // A grid gives a sense of motion and scale; ten cells across.
    const step = Math.max(width, height) / 10;
    ctx.strokeStyle = COLORS.grid;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let x = step; x < width; x += step) {
      ctx.moveTo(tl.x + x * v.scale, tl.y);
      ctx.lineTo(tl.x + x * v.scale, tl.y + h);
    }
    for (let y = step; y < height; y += step) {
      ctx.moveTo(tl.x, tl.y + y * v.scale);
      ctx.lineTo(tl.x + w, tl.y + y * v.scale);
    }
    ctx.stroke();
    ctx.strokeStyle = COLORS.border;
    ctx.lineWidth = 2;
    ctx.strokeRect(tl.x, tl.y, w, h);
  }

  private drawPlayer(e: RenderEntity, own: boolean, name: string, maxHp: number, radius: number): void {
    const ctx = this.ctx;
    const p = this.view.toScreen(e.x, e.y);
    const r = Math.max(radius * this.view.scale, MIN_PLAYER_PX);
    ctx.save();
    if (e.hp <= 0) ctx.globalAlpha = 0.3; // dead, waiting to respawn

    ctx.fillStyle = own ? COLORS.own : COLORS.other;
    ctx.beginPath();
    ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
    ctx.fill();
    if (own) {
      ctx.strokeStyle = COLORS.ownRing;
      ctx.lineWidth = 2;
      ctx.stroke();
    }

    // Facing line, from the centre to beyond the rim.
    ctx.strokeStyle = COLORS.name;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(p.x, p.y);
    ctx.lineTo(p.x + Math.cos(e.angle) * (r + 8), p.y + Math.sin(e.angle) * (r + 8));
    ctx.stroke();

    const barW = Math.max(2 * r, 28);
    const barY = p.y - r - 8;
    ctx.fillStyle = COLORS.hpBack;
    ctx.fillRect(p.x - barW / 2, barY, barW, 4);
    ctx.fillStyle = COLORS.hpFill;
    ctx.fillRect(p.x - barW / 2, barY, barW * Math.min(Math.max(e.hp / maxHp, 0), 1), 4);

    ctx.fillStyle = COLORS.name;
    ctx.font = `${own ? "bold " : ""}12px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(name, p.x, barY - 3);
    ctx.restore();
  }

  private drawProjectile(e: RenderEntity): void {
    const ctx = this.ctx;
    const p = this.view.toScreen(e.x, e.y);
    ctx.fillStyle = COLORS.projectile;
    ctx.beginPath();
    ctx.arc(p.x, p.y, Math.max(PROJECTILE_RADIUS * this.view.scale, MIN_PROJECTILE_PX), 0, 2 * Math.PI);
    ctx.fill();
  }

  private drawPickup(e: RenderEntity): void {
    const ctx = this.ctx;
    const p = this.view.toScreen(e.x, e.y);
    const s = Math.max(PICKUP_HALF * this.view.scale, MIN_PICKUP_PX);
    ctx.strokeStyle = COLORS.pickup;
    ctx.lineWidth = Math.max(s / 2.5, 2);
    ctx.lineCap = "round";
    ctx.beginPath();
    ctx.moveTo(p.x - s, p.y);
    ctx.lineTo(p.x + s, p.y);
    ctx.moveTo(p.x, p.y - s);
    ctx.lineTo(p.x, p.y + s);
    ctx.stroke();
  }
}
