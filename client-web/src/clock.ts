// Mapping local time onto the server's tick timeline.
//
// Snapshots arrive one per tick but with jittery network delay. To draw
// entities smoothly we need "which (fractional) server tick is it now?",
// which we estimate from arrival times alone — no clock sync needed.

/** If an arrival is this much later than expected, we assume the timeline
 * moved (tab suspended, network stall, server hiccup) and start over. */
const RESYNC_MS = 1000;

/** How fast the estimate follows arrivals that are later than expected.
 * Slow, so that one late packet does not shift the timeline, while a
 * lasting change of latency (or clock drift) is still followed in a second
 * or two. */
const DRIFT_RATE = 0.02;

export class TickClock {
  private readonly tickMs: number;
  // Local time (performance.now() ms) at which tick 0 would have arrived.
  private originMs: number | undefined;

  constructor(tickRate: number) {
    this.tickMs = 1000 / tickRate;
  }

  /** Records that `tick` arrived at local time `atMs`. */
  observe(tick: number, atMs: number): void {
    const origin = atMs - tick * this.tickMs;
    if (this.originMs === undefined || origin - this.originMs > RESYNC_MS) {
      this.originMs = origin;
    } else if (origin < this.originMs) {
      // Earliest arrival seen so far: the least delayed packet tells the
      // truth about the timeline, so follow it at once.
      this.originMs = origin;
    } else {
      this.originMs += (origin - this.originMs) * DRIFT_RATE;
    }
  }

  /** The fractional tick the server is at, as seen from here, at `atMs`;
   * undefined before the first observation. */
  tickAt(atMs: number): number | undefined {
    if (this.originMs === undefined) return undefined;
    return (atMs - this.originMs) / this.tickMs;
  }
}
