// The mapping between world coordinates and canvas (CSS pixel) coordinates.
//
// Axis convention: world +x is screen right and world +y is screen DOWN.
// The protocol measures angles "counter-clockwise from +x towards +y"; with
// +y down, Math.atan2(dy, dx) on world coordinates gives exactly that angle
// and Math.cos/sin draw it correctly on the canvas, so no sign flips appear
// anywhere. (On screen such an angle turns clockwise — it is the same
// mathematical angle, seen with the y axis pointing down.)

export interface Point {
  x: number;
  y: number;
}

export class Viewport {
  /** CSS pixels per world unit. */
  scale = 1;
  /** Canvas position of world (0, 0), CSS pixels. */
  offsetX = 0;
  offsetY = 0;

  /**
   * Scales the whole world to fit the canvas area below `top` (CSS pixels;
   * the HUD bar sits above it), keeping its aspect ratio and centring it,
   * with `margin` CSS pixels around it.
   */
  fit(canvasWidth: number, canvasHeight: number, worldWidth: number, worldHeight: number, top = 0, margin = 16): void {
    const areaHeight = Math.max(canvasHeight - top, 0);
    const w = Math.max(canvasWidth - 2 * margin, 1);
    const h = Math.max(areaHeight - 2 * margin, 1);
    this.scale = Math.min(w / Math.max(worldWidth, 1), h / Math.max(worldHeight, 1));
    this.offsetX = (canvasWidth - worldWidth * this.scale) / 2;
    this.offsetY = top + (areaHeight - worldHeight * this.scale) / 2;
  }

  toScreen(x: number, y: number): Point {
    return { x: this.offsetX + x * this.scale, y: this.offsetY + y * this.scale };
  }

  toWorld(sx: number, sy: number): Point {
    return { x: (sx - this.offsetX) / this.scale, y: (sy - this.offsetY) / this.scale };
  }
}
