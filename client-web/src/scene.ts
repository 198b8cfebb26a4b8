// What to draw this frame: the session's state composed at one instant.
//
// Others come from the interpolator (drawn in the past), our own player
// from the predictor (drawn in the present, see predict.ts). Keeping that
// choice here means render.ts draws whatever it is given.

import { EntityKind } from "./gen/skirmish/v1/skirmish_pb";
import { toRenderEntity, type RenderEntity } from "./interp";
import type { Move } from "./movement";
import type { Session } from "./session";

export interface Scene {
  worldWidth: number;
  worldHeight: number;
  /** Players' radius in world units (Welcome.movement.radius); 0 when the
   * mode gives players no size. */
  playerRadius: number;
  entities: RenderEntity[];
  /** Our own entity as drawn (also in `entities`); null while absent. */
  own: RenderEntity | null;
  names: ReadonlyMap<number, string>;
  /**
   * The full health bar. The protocol does not say what maximum HP is, so
   * we take the highest HP any player has shown so far in this room:
   * players spawn with full health, so that is right within a tick of
   * joining.
   */
  maxHp: number;
}

export class SceneBuilder {
  private maxHp = 1;
  private roomId: string | null = null;

  /**
   * The scene at local time nowMs, or null when not in a room. `held` is
   * the movement held right now, which prediction applies at once.
   */
  build(session: Session, nowMs: number, held: Move): Scene | null {
    const room = session.room;
    if (!room || !session.interpolator || !session.latest) return null;
    if (room.room !== this.roomId) {
      this.roomId = room.room;
      this.maxHp = 1;
    }
    const entities = session.interpolator.sample(nowMs);
    let own: RenderEntity | null = null;
    const latestOwn = session.ownEntity;
    if (latestOwn) {
      own = toRenderEntity(latestOwn, room.positionScale);
      const predicted = session.predictor?.view(nowMs, held);
      if (predicted) own = { ...own, x: predicted.x, y: predicted.y };
      const i = entities.findIndex((e) => e.id === room.playerId);
      if (i >= 0) entities[i] = own;
      else entities.push(own);
    }
    for (const e of session.latest.world.entities.values()) {
      if (e.kind === EntityKind.PLAYER && e.hp > this.maxHp) this.maxHp = e.hp;
    }
    return {
      worldWidth: room.worldWidth,
      worldHeight: room.worldHeight,
      playerRadius: room.movement?.radius ?? 0,
      entities,
      own,
      names: session.names,
      maxHp: this.maxHp,
    };
  }
}
