// The room's players: the Roster that follows every Welcome, with each
// RosterUpdate since applied. Pure, so that the node tests (and the golden
// vectors) drive it.

/** A player as Roster and RosterUpdate name it. */
export interface RosterPlayer {
  readonly id: number;
  readonly name: string;
}

/** The names a Roster lists, by entity id. */
export function rosterNames(players: ReadonlyArray<RosterPlayer>): Map<number, string> {
  return new Map(players.map((p) => [p.id, p.name]));
}

/**
 * Applies a RosterUpdate to names: `left` first, then `joined` (a player who
 * joined and left within one tick is in neither list). Returns the players
 * who left, with the names they had; ids the list does not hold are
 * ignored.
 */
export function applyRosterUpdate(
  names: Map<number, string>,
  joined: ReadonlyArray<RosterPlayer>,
  left: ReadonlyArray<number>,
): RosterPlayer[] {
  const gone: RosterPlayer[] = [];
  for (const id of left) {
    const name = names.get(id);
    if (name === undefined) continue;
    names.delete(id);
    gone.push({ id, name });
  }
  for (const p of joined) names.set(p.id, p.name);
  return gone;
}
