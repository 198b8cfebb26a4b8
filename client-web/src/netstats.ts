// Network statistics for the net overlay and window.skirmish.net: bytes
// received per second and snapshot loss, plus the `?loss=` test knob that
// drops snapshots on purpose.
//
// Pure: no DOM, no clock; times are passed in (performance.now() ms).

/** Bytes per second are averaged over this window. */
export const BYTES_WINDOW_MS = 1000;
/** Snapshot loss is measured over the newest this-many ticks. */
export const LOSS_WINDOW_TICKS = 300;

export class NetStats {
  // Bytes received, as (arrival ms, bytes), oldest first, BYTES_WINDOW_MS.
  private readonly frames: Array<{ atMs: number; bytes: number }> = [];
  private frameBytes = 0;
  // Ticks of the snapshots received in this room, ascending, the newest
  // LOSS_WINDOW_TICKS ticks' worth.
  private ticks: number[] = [];
  private firstTick: number | undefined;
  /** Snapshots received in this room (after the loss knob). */
  snapshots = 0;
  /** Snapshots the loss knob dropped in this room. */
  dropped = 0;

  /** A frame of `bytes` bytes arrived at atMs (any message). */
  addBytes(bytes: number, atMs: number): void {
    this.frames.push({ atMs, bytes });
    this.frameBytes += bytes;
    this.trimBytes(atMs);
  }

  /** Bytes received per second over the last BYTES_WINDOW_MS before nowMs. */
  bytesPerS(nowMs: number): number {
    this.trimBytes(nowMs);
    return (this.frameBytes * 1000) / BYTES_WINDOW_MS;
  }

  /** A snapshot of `tick` was received (and not dropped by the knob). */
  addSnapshot(tick: number): void {
    this.snapshots++;
    if (this.firstTick === undefined || tick < this.firstTick) this.firstTick = tick;
    const t = this.ticks;
    let i = t.length;
    while (i > 0 && t[i - 1] > tick) i--;
    if (i > 0 && t[i - 1] === tick) return; // a repeat is not a new arrival
    t.splice(i, 0, tick);
    const newest = t[t.length - 1];
    let old = 0;
    while (old < t.length && t[old] <= newest - LOSS_WINDOW_TICKS) old++;
    if (old > 0) t.splice(0, old);
  }

  /**
   * Percentage of snapshots missing from the tick sequence over the newest
   * LOSS_WINDOW_TICKS ticks (since the first snapshot in this room): the
   * gaps in the tick numbers. The server sends one snapshot per tick.
   */
  get lossPct(): number {
    const t = this.ticks;
    if (t.length === 0 || this.firstTick === undefined) return 0;
    const newest = t[t.length - 1];
    const from = Math.max(this.firstTick, newest - LOSS_WINDOW_TICKS + 1);
    const expected = newest - from + 1;
    return (100 * (expected - t.length)) / expected;
  }

  /** A new room: a new tick sequence. Byte counts carry on. */
  resetSnapshots(): void {
    this.ticks = [];
    this.firstTick = undefined;
    this.snapshots = 0;
    this.dropped = 0;
  }

  private trimBytes(nowMs: number): void {
    const f = this.frames;
    let n = 0;
    while (n < f.length && f[n].atMs <= nowMs - BYTES_WINDOW_MS) {
      this.frameBytes -= f[n].bytes;
      n++;
    }
    if (n > 0) f.splice(0, n);
  }
}

/**
 * The `?loss=` knob: a test and diagnostic aid that drops the given fraction
 * of incoming snapshots before the client processes them, as if the network
 * had lost them. It returns a function answering "drop this one?". The
 * choice is pseudo-random but seeded, so a run can be repeated; fractions
 * are clamped to [0, 0.95] (dropping everything would only stall the game).
 */
export function snapshotDropper(fraction: number, seed = 0x5eed): () => boolean {
  const p = Number.isFinite(fraction) ? Math.min(Math.max(fraction, 0), 0.95) : 0;
  if (p === 0) return () => false;
  let s = seed >>> 0;
  // mulberry32: tiny, fast, good enough to pick packets.
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let r = Math.imul(s ^ (s >>> 15), s | 1);
    r ^= r + Math.imul(r ^ (r >>> 7), r | 61);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296 < p;
  };
}

/** Parses the `?loss=` value: a fraction in [0, 0.95]; anything else is 0. */
export function parseLoss(value: string | null): number {
  if (value === null || value.trim() === "") return 0;
  const v = Number(value);
  return Number.isFinite(v) ? Math.min(Math.max(v, 0), 0.95) : 0;
}
